// Plan generations: `batchplan add` appends stages to a plan without touching what is there. The
// plan's own stages (generation 0) keep their tasks in tasks.jsonl/tasks.idx; the stages of add
// number g keep theirs in tasks.<g>.jsonl/tasks.<g>.idx, whose index counts from the generation's
// first task. Files of a generation that plan.json does not list (an add killed before its commit)
// are never read.
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { INDEX_FILE, PLAN_FILE, TASKS_FILE } from './format.js';
import type { PlanStage } from './model.js';
import type { PlanFile } from './format-schema.js';

/** A read plan (read.ts's Plan, named here structurally: read.ts imports this module). */
type Plan = { dir: string; file: PlanFile };

export interface GenerationFiles {
  generation: number;
  tasks: string;
  index: string;
  /** The plan-wide number of the generation's first task (its index's entry 0). */
  firstTask: number;
  /** Its task count. */
  count: number;
}

export function generationFileNames(g: number): { tasks: string; index: string } {
  return g === 0
    ? { tasks: TASKS_FILE, index: INDEX_FILE }
    : { tasks: `tasks.${g}.jsonl`, index: `tasks.${g}.idx` };
}

/** Every generation's files, the plan's own first. */
export function planGenerations(plan: Plan): GenerationFiles[] {
  const added = plan.file.generations ?? [];
  const own = added.length ? added[0]!.firstTask : plan.file.totalTasks;
  const at = (g: number, firstTask: number, count: number): GenerationFiles => {
    const names = generationFileNames(g);
    return {
      generation: g,
      tasks: join(plan.dir, names.tasks),
      index: join(plan.dir, names.index),
      firstTask,
      count,
    };
  };
  return [at(0, 0, own), ...added.map((a) => at(a.generation, a.firstTask, a.tasks))];
}

/** The files that hold a stage's task records. */
export function stageFiles(plan: Plan, stage: PlanStage): GenerationFiles {
  const files = planGenerations(plan)[stage.generation ?? 0];
  if (!files)
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `${join(plan.dir, PLAN_FILE)}: stage '${stage.name}' is of generation ${stage.generation}, which the plan does not list`,
    );
  return files;
}
