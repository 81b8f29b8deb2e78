// Status of a whole plan: every stage folded from its journals.
import type { Plan } from '../plan/read.js';
import type { TaskState } from './aggregate.js';
import { loadStageStatus, type LoadedStageStatus } from './load.js';
import { foldOutside } from './outside.js';
import { readResets } from './resets.js';

export interface StageSummary extends Record<TaskState, number> {
  name: string;
  total: number;
  /** Damaged journal lines (not a torn last line) that were skipped; only when there are some. */
  damagedLines?: number;
  /** Tasks whose slower copy was stopped when a backup copy succeeded first; only when there are some. */
  superseded?: number;
}

/** `remote`: also read task records kept at URLs (outside.ts); for status, not for polling loops. */
export function loadPlanStatus(plan: Plan, opts: { remote?: boolean } = {}): LoadedStageStatus[] {
  const resets = readResets(plan.dir);
  return plan.file.stages.map((s, k) => {
    const loaded = loadStageStatus(plan.dir, k, s.tasks, undefined, resets);
    foldOutside(plan, k, loaded.status, { remote: opts.remote ?? false });
    return loaded;
  });
}

export function summarize(plan: Plan, loaded: LoadedStageStatus[]): StageSummary[] {
  return plan.file.stages.map((s, k) => {
    const damaged = loaded[k]!.damaged ?? 0;
    return {
      name: s.name,
      total: s.tasks,
      ...loaded[k]!.status.counts(),
      ...(damaged > 0 ? { damagedLines: damaged } : {}),
      ...(loaded[k]!.status.supersededCount() > 0 ? { superseded: loaded[k]!.status.supersededCount() } : {}),
    };
  });
}
