// Status of a whole plan: every stage folded from its journals.
import type { Plan } from '../plan/read.js';
import type { TaskState } from './aggregate.js';
import { loadStageStatus, type LoadedStageStatus } from './load.js';

export interface StageSummary extends Record<TaskState, number> {
  name: string;
  total: number;
}

export function loadPlanStatus(plan: Plan): LoadedStageStatus[] {
  return plan.file.stages.map((s, k) => loadStageStatus(plan.dir, k, s.tasks));
}

export function summarize(plan: Plan, loaded: LoadedStageStatus[]): StageSummary[] {
  return plan.file.stages.map((s, k) => ({ name: s.name, total: s.tasks, ...loaded[k]!.status.counts() }));
}
