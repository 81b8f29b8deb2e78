// Fold journal records into one state per task. Pure over the records it is given; typed arrays
// keep a million-task stage to a few tens of megabytes.
//
// Rules: a success is final (two copies of a partition cannot undo it); otherwise the latest event
// wins. A task whose latest event is a start is running while its writer is alive and lost after.
// Records older than the task's reset (retry, rerun: resets.ts) count as attempts and nothing else.
import type { JournalRecord } from './journal-schema.js';

export const TASK_STATES = [
  'pending',
  'running',
  'lost',
  'interrupted',
  'succeeded',
  'failed',
  'blocked',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

const PENDING = 0;
const STARTED = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const INTERRUPTED = 4;
/** Not started: a task it requires did not succeed (src/exec/prerequisites.ts). */
const BLOCKED = 5;
const NO_RC = -0x80000000;

export interface TaskStatus {
  state: TaskState;
  attempts: number;
  exitCode: number | null;
  /** Milliseconds of the last finished attempt, or since the running one started. */
  durationMs: number | null;
  startedAt: number | null;
  endedAt: number | null;
  /** Index of the journal (in the order they were added) that holds the deciding event. */
  journal: number;
  /** The signal that ended the last finished attempt, if one did. */
  signal: string | null;
  /** The last finished attempt hit its timeout. */
  timedOut: boolean;
}

export class StageStatus {
  private readonly code: Uint8Array;
  private readonly attempts: Uint32Array;
  private readonly lastT: Float64Array;
  private readonly startT: Float64Array;
  private readonly endT: Float64Array;
  private readonly rc: Int32Array;
  private readonly dur: Float64Array;
  private readonly src: Int32Array;
  private readonly liveJournals: boolean[] = [];
  // Rare, so kept sparse: `tasks` reads them from here instead of parsing every journal a second
  // time for the end records of the tasks it lists (performance: that second pass was half the time
  // of `tasks --state failed` on a million recorded tasks).
  private readonly signals = new Map<number, string>();
  private readonly timedOut = new Set<number>();
  /** Tasks with an attempt stopped because a backup copy succeeded first (balance-backup.ts). */
  /** Attempts per task stopped because a backup copy succeeded first (sparse: rare). */
  private readonly superseded = new Map<number, number>();
  /** Per task, the time of its newest reset (resets.ts): older records count only as attempts. */
  private resetT: Float64Array | undefined;

  /** Tracks tasks [offset, offset + count) of a stage. */
  constructor(
    readonly count: number,
    readonly offset = 0,
  ) {
    this.code = new Uint8Array(count);
    this.attempts = new Uint32Array(count);
    this.lastT = new Float64Array(count);
    this.startT = new Float64Array(count);
    this.endT = new Float64Array(count);
    this.rc = new Int32Array(count).fill(NO_RC);
    this.dur = new Float64Array(count);
    this.src = new Int32Array(count).fill(-1);
  }

  /** Honour reset markers; call before any journal is folded in. */
  setResets(times: Float64Array | undefined): void {
    this.resetT = times;
  }

  /** Task i's newest reset time (ms), 0 when it has none. */
  resetTime(i: number): number {
    return this.resetT?.[i] ?? 0;
  }

  /** Register a journal; returns the callback that folds its records in. */
  journal(live: boolean): (rec: JournalRecord) => void {
    const j = this.liveJournals.length;
    this.liveJournals.push(live);
    return (rec) => this.add(rec, j);
  }

  /** Mark a journal's writer as gone (its unfinished tasks become lost). */
  setLive(journal: number, live: boolean): void {
    this.liveJournals[journal] = live;
  }

  private add(rec: JournalRecord, j: number): void {
    if (rec.k === 'c') return;
    const i = rec.i - this.offset;
    if (i < 0 || i >= this.count) return;
    if (rec.a > this.attempts[i]!) this.attempts[i] = rec.a;
    if (this.resetT && rec.t < this.resetT[i]!) return;
    if (rec.k === 'e' && rec.st === 'superseded') this.superseded.set(i, (this.superseded.get(i) ?? 0) + 1);
    if (this.code[i] === SUCCEEDED || rec.t < this.lastT[i]!) return;
    this.lastT[i] = rec.t;
    this.src[i] = j;
    if (rec.k === 's') {
      this.code[i] = STARTED;
      this.startT[i] = rec.t;
      return;
    }
    this.code[i] =
      rec.st === 'succeeded'
        ? SUCCEEDED
        : rec.st === 'failed'
          ? FAILED
          : rec.st === 'blocked'
            ? BLOCKED
            : INTERRUPTED;
    this.endT[i] = rec.t;
    this.startT[i] = rec.t - rec.d;
    this.dur[i] = rec.d;
    this.rc[i] = rec.rc ?? NO_RC;
    if (rec.sig) this.signals.set(i, rec.sig);
    else if (this.signals.size) this.signals.delete(i);
    if (rec.to) this.timedOut.add(i);
    else if (this.timedOut.size) this.timedOut.delete(i);
  }

  stateOf(i: number): TaskState {
    switch (this.code[i]) {
      case PENDING:
        return 'pending';
      case STARTED:
        return this.liveJournals[this.src[i]!] ? 'running' : 'lost';
      case SUCCEEDED:
        return 'succeeded';
      case FAILED:
        return 'failed';
      case BLOCKED:
        return 'blocked';
      default:
        return 'interrupted';
    }
  }

  /** How many tasks had a copy superseded by a backup that succeeded first. */
  supersededCount(): number {
    return this.superseded.size;
  }

  /** Attempts of task i stopped because another copy of it succeeded first. */
  supersededOf(i: number): number {
    return this.superseded.get(i) ?? 0;
  }

  isSucceeded(i: number): boolean {
    return this.code[i] === SUCCEEDED;
  }

  attemptsOf(i: number): number {
    return this.attempts[i]!;
  }

  task(i: number, now = Date.now()): TaskStatus {
    const state = this.stateOf(i);
    const started = this.code[i] !== PENDING;
    const running = this.code[i] === STARTED;
    const rc = this.rc[i]!;
    return {
      state,
      attempts: this.attempts[i]!,
      exitCode: running || rc === NO_RC ? null : rc,
      durationMs: !started
        ? null
        : running
          ? state === 'running'
            ? now - this.startT[i]!
            : null
          : this.dur[i]!,
      startedAt: started ? this.startT[i]! : null,
      endedAt: started && !running ? this.endT[i]! : null,
      journal: this.src[i]!,
      signal: started && !running ? (this.signals.get(i) ?? null) : null,
      timedOut: started && !running && this.timedOut.has(i),
    };
  }

  counts(): Record<TaskState, number> {
    const out = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
    for (let i = 0; i < this.count; i++) out[this.stateOf(i)]++;
    return out;
  }
}
