// run-partition's gate for task-level dependencies: a task starts only when every task it requires
// (deps/stage-<k>.json, read once) has succeeded, as the journals of the earlier stages say. A
// prerequisite that a live run-partition may still run or retry is waited for, up to a bound; one
// that failed, was blocked itself, or that nothing is running makes its dependant `blocked`, with
// the reason in the dependant's stderr. Nothing here changes a journal of another stage.
import { readTasks, type Plan } from '../plan/read.js';
import { readStageDeps } from '../plan/task-deps-format.js';
import { requiredByRange, requiredOf, type TaskRanges } from '../plan/task-deps-query.js';
import { loadStageStatus } from '../status/load.js';
import type { ResetMarker } from '../status/resets.js';

/** Default bound on waiting for prerequisites that a live run-partition is running or will run. */
export const DEFAULT_PREREQUISITE_WAIT = 3600;
/** A prerequisite nothing is running may be in a partition just starting: waited for this long. */
const NOT_STARTED_GRACE = 30;
/** Journals of earlier stages are read again at most this often. */
const REFRESH_MS = 1000;

export type Gate = 'ready' | 'wait' | { blocked: string };

interface Prior {
  stage: number;
  name: string;
  count: number;
  range: { start: number; end: number };
  status: ReturnType<typeof loadStageStatus>;
}

export class Prerequisites {
  private readonly priors: Prior[] = [];
  private readedAt = 0;
  /** When each waiting task (slice-relative) first had to wait. */
  private readonly since = new Map<number, number>();
  private readonly memo = new Map<string, Gate>();

  private constructor(
    private readonly plan: Plan,
    private readonly segments: ReturnType<typeof readStageDeps>,
    private readonly start: number,
    need: Map<number, TaskRanges>,
    private readonly resets: readonly ResetMarker[],
    /** Seconds to wait for a prerequisite that is running or will run; Infinity: as long as it takes. */
    private readonly waitSeconds: number,
  ) {
    for (const [stage, ranges] of need) {
      const s = plan.file.stages[stage]!;
      this.priors.push({
        stage,
        name: s.name,
        count: s.tasks,
        range: { start: ranges[0]![0], end: ranges.at(-1)![1] },
        status: undefined as never,
      });
    }
    this.read();
  }

  /** The gate of a stage's partition [start, end), or undefined when its tasks require nothing. */
  static open(
    plan: Plan,
    stageIndex: number,
    slice: { start: number; end: number },
    resets: readonly ResetMarker[],
    waitSeconds = DEFAULT_PREREQUISITE_WAIT,
  ): Prerequisites | undefined {
    const stage = plan.file.stages[stageIndex]!;
    if (!stage.requires) return undefined;
    const segments = readStageDeps(plan.dir, stageIndex, stage.tasks);
    const need = requiredByRange(segments, slice.start, slice.end);
    if (need.size === 0) return undefined;
    return new Prerequisites(plan, segments, slice.start, need, resets, waitSeconds);
  }

  /** May task k (slice-relative) start now, must it wait, or is it blocked (and why)? */
  gate(k: number, now = Date.now()): Gate {
    if (now - this.readedAt >= REFRESH_MS) this.read();
    const needs = requiredOf(this.segments, this.start + k);
    let waiting: { why: string; grace: number } | undefined;
    for (const [stage, ranges] of needs) {
      const prior = this.priors.find((p) => p.stage === stage)!;
      for (const [a, b] of ranges) {
        const key = `${stage}:${a}:${b}`;
        let g = this.memo.get(key);
        if (g === undefined) {
          g = this.rangeGate(prior, a, b);
          this.memo.set(key, g);
        }
        if (typeof g === 'object') {
          this.since.delete(k);
          return g;
        }
        if (g === 'wait' && !waiting) waiting = this.waitReason(prior, a, b);
      }
    }
    if (!waiting) {
      this.since.delete(k);
      return 'ready';
    }
    const first = this.since.get(k) ?? now;
    this.since.set(k, first);
    const bound = Math.min(this.waitSeconds, waiting.grace) * 1000;
    if (now - first < bound) return 'wait';
    this.since.delete(k);
    return { blocked: `${waiting.why} after waiting ${Math.round((now - first) / 1000)} s` };
  }

  private read(): void {
    this.memo.clear();
    for (const p of this.priors)
      p.status = loadStageStatus(this.plan.dir, p.stage, p.count, p.range, this.resets);
    this.readedAt = Date.now();
  }

  /** One range of one earlier stage: all succeeded, something to wait for, or a reason to block. */
  private rangeGate(p: Prior, a: number, b: number): Gate {
    let wait = false;
    for (let i = a; i < b; i++) {
      const { status, live, journals } = p.status;
      const local = i - p.range.start;
      const state = status.stateOf(local);
      if (state === 'succeeded') continue;
      const j = status.task(local).journal;
      const deciding = j >= 0 && live[j];
      if (state === 'running' || deciding) {
        wait = true; // it runs now, or its live run may still retry it
        continue;
      }
      const covered = journals.some((f, x) => live[x] && f.start <= i && i < f.end);
      if (covered || state === 'pending') {
        wait = true; // a live run-partition will get to it, or one may be about to start
        continue;
      }
      return { blocked: `requires ${this.idOf(p, i)} (stage ${p.name}), which is ${state}` };
    }
    return wait ? 'wait' : 'ready';
  }

  private waitReason(p: Prior, a: number, b: number): { why: string; grace: number } {
    for (let i = a; i < b; i++) {
      const local = i - p.range.start;
      const state = p.status.status.stateOf(local);
      if (state === 'succeeded') continue;
      const live = p.status.journals.some((f, x) => p.status.live[x] && f.start <= i && i < f.end);
      const why = `requires ${this.idOf(p, i)} (stage ${p.name}), which is ${state === 'pending' && !live ? 'pending and not running anywhere' : `still ${state}`}`;
      return { why, grace: live || state === 'running' ? Infinity : NOT_STARTED_GRACE };
    }
    return { why: `requires tasks of stage ${p.name}`, grace: NOT_STARTED_GRACE };
  }

  private idOf(p: Prior, i: number): string {
    return readTasks(this.plan, this.plan.file.stages[p.stage]!, i, i + 1)[0]!.id;
  }
}
