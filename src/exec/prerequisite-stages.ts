// Which of a stage's `after` stages it waits for whole, and which only task by task (plan.json
// `requires`): a local run starts a stage once the latter have started (run-partition then waits
// for each task's own prerequisites, prerequisites.ts), and a failure in them does not stop it.
import type { PlanStage } from '../plan/model.js';

export function taskLevelStages(stage: Pick<PlanStage, 'requires'>): Set<string> {
  return new Set(stage.requires ?? []);
}

/** The stages of `after` whose every task must have succeeded before this stage may start. */
export function barrierStages(stage: Pick<PlanStage, 'after' | 'requires'>): string[] {
  const taskLevel = taskLevelStages(stage);
  return stage.after.filter((d) => !taskLevel.has(d));
}
