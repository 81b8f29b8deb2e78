// Backup tasks (balanced mode): near the end of a stage, when a partition has free slots and no
// chunk left to claim, it may start a second copy of a task that has run far longer than the
// stage's typical duration (a slow node, a stuck mount). The first copy to succeed wins; the other
// sees that success in the journals while it runs, is stopped, and is recorded `superseded`.
//
// Off unless asked for (a task run twice at once must be safe: not every task is): `backup: true` (a
// factor of 3) or `backup: F` on the stage in the spec, or BATCHPLAN_BACKUP=on / F / off over it. The threshold: F times the median duration of the stage's tasks
// that succeeded so far, and at least 1 s; only once 5 tasks have succeeded. A task
// whose environment (the spec's env, of the stage or the task) sets BATCHPLAN_NO_BACKUP=1 is not safe
// to run twice at once and never gets a backup. One backup per attempt, claimed with an exclusive
// file (claims.ts): `b<i>.<attempt>`, so the cost is a file per straggler.
import { BatchplanError } from '../errors.js';
import { loadStageStatus } from '../status/load.js';
import { DEFAULT_BACKUP_FACTOR } from '../plan/model.js';

export const BACKUP_ENV = 'BATCHPLAN_BACKUP';
export const NO_BACKUP_ENV = 'BATCHPLAN_NO_BACKUP';
const MIN_SECONDS = 1;
const MIN_SAMPLES = 5;
const LOOK_MS = 1000;

/** The threshold factor (BATCHPLAN_BACKUP, else the stage's `backup`), or undefined when backups are off. */
export function backupFactor(env: NodeJS.ProcessEnv, planned?: number): number | undefined {
  const v = env[BACKUP_ENV]?.trim().toLowerCase();
  if (v === undefined || v === '') return planned;
  if (v === '0' || v === 'off') return undefined;
  if (v === 'on' || v === '1') return DEFAULT_BACKUP_FACTOR;
  const f = Number(v);
  if (!Number.isFinite(f) || f < 1)
    throw new BatchplanError(
      'E_USAGE',
      `${BACKUP_ENV}=${env[BACKUP_ENV]} is not on, off, or a factor over 1`,
      `Set ${BACKUP_ENV}=3 to back up tasks running over 3 times the stage's median duration, 0 to turn backups off, or unset it (the stage's backup in the spec decides).`,
    );
  return f;
}

export interface Straggler {
  /** Stage-relative task index and the attempt running. */
  i: number;
  attempt: number;
  runningMs: number;
  thresholdMs: number;
}

/** Finds the stage's stragglers from its journals; looks at most once a second. */
export class Stragglers {
  private lookedAt = 0;
  private last: Straggler[] = [];
  /** Attempts already backed up (or refused): never again. */
  private readonly done = new Set<string>();

  constructor(
    private readonly planDir: string,
    private readonly stageIndex: number,
    private readonly stageTasks: number,
    private readonly factor: number,
  ) {}

  /** Running attempts over the threshold, the longest first. */
  find(now = Date.now()): Straggler[] {
    if (now - this.lookedAt < LOOK_MS) return this.last.filter((s) => !this.done.has(key(s)));
    this.lookedAt = now;
    const { status } = loadStageStatus(this.planDir, this.stageIndex, this.stageTasks);
    const durations: number[] = [];
    const running: { i: number; attempt: number; ms: number }[] = [];
    for (let i = 0; i < status.count; i++) {
      const t = status.task(i, now);
      if (t.state === 'succeeded' && t.durationMs !== null) durations.push(t.durationMs);
      else if (t.state === 'running' && t.durationMs !== null)
        running.push({ i, attempt: t.attempts, ms: t.durationMs });
    }
    this.last = [];
    if (durations.length >= MIN_SAMPLES) {
      durations.sort((a, b) => a - b);
      const median = durations[durations.length >> 1]!;
      const thresholdMs = Math.max(MIN_SECONDS * 1000, this.factor * median);
      this.last = running
        .filter((r) => r.ms > thresholdMs)
        .sort((a, b) => b.ms - a.ms)
        .map((r) => ({ i: r.i, attempt: r.attempt, runningMs: r.ms, thresholdMs }));
    }
    return this.last.filter((s) => !this.done.has(key(s)));
  }

  /** Not to be tried again (claimed, lost to another partition, or not safe to duplicate). */
  forget(s: Straggler): void {
    this.done.add(key(s));
  }
}

const key = (s: Straggler) => `${s.i}.${s.attempt}`;

/**
 * Wait for an attempt to end, stopping it if another copy of its task succeeds meanwhile. Resolves
 * with whether it was stopped for that reason.
 */
export function watchForWinner<T>(
  done: Promise<T>,
  otherSucceeded: () => boolean,
  stop: () => void,
  everyMs = 250,
): Promise<{ res: T; superseded: boolean }> {
  let superseded = false;
  const timer = setInterval(() => {
    if (!superseded && otherSucceeded()) {
      superseded = true;
      stop();
    }
  }, everyMs);
  return done.then(
    (res) => {
      clearInterval(timer);
      return { res, superseded };
    },
    (err: unknown) => {
      clearInterval(timer);
      throw err;
    },
  );
}
