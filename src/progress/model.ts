// What a live progress view shows, independent of where the numbers come from (run's partitions,
// or wait's journals plus the scheduler), and the estimates derived from it.

export interface StageProgress {
  name: string;
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  /** Held by the scheduler (a queued partition). */
  queued: number;
  /** Set when the stage will not run because a stage it needs failed. */
  blockedBy?: string[];
}

export interface ProgressSnapshot {
  stages: StageProgress[];
  /** Milliseconds since the command started watching. */
  elapsedMs: number;
  /** Tasks that had already ended when watching started (a resumed run): not counted for the ETA. */
  doneAtStart?: number;
}

export function left(s: StageProgress): number {
  return Math.max(0, s.total - s.succeeded - s.failed);
}

export function totals(snapshot: ProgressSnapshot): StageProgress {
  const t: StageProgress = { name: 'overall', total: 0, succeeded: 0, failed: 0, running: 0, queued: 0 };
  for (const s of snapshot.stages) {
    t.total += s.total;
    t.succeeded += s.succeeded;
    t.failed += s.failed;
    t.running += s.running;
    t.queued += s.queued;
  }
  return t;
}

/**
 * Milliseconds until everything left has run, from the pace seen so far (tasks ended per ms since
 * watching began); undefined until a task has ended, and when nothing is left to wait for (stages
 * that will not run are not waited for).
 */
export function etaMs(snapshot: ProgressSnapshot, stage?: StageProgress): number | undefined {
  const all = totals({ ...snapshot, stages: snapshot.stages.filter((s) => !s.blockedBy) });
  const ended = all.succeeded + all.failed - (snapshot.doneAtStart ?? 0);
  const rest = stage ? (stage.blockedBy ? 0 : left(stage)) : left(all);
  if (ended <= 0 || snapshot.elapsedMs <= 0 || rest === 0) return undefined;
  return (rest * snapshot.elapsedMs) / ended;
}

/** `1h02m`, `3m05s`, `12s`: short and of fixed shape, for a line that redraws. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function digits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
