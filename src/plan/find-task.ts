// Find a task by id: a substring search of tasks.jsonl, then the index to turn a byte offset into a
// task number. Costs one read of the task file, not one parse per task.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { INDEX_FILE, TASKS_FILE } from './format.js';
import type { PlanStage } from './model.js';
import type { Plan } from './read.js';

export interface FoundTask {
  stage: PlanStage;
  stageIndex: number;
  /** Stage-relative task index. */
  index: number;
}

export function findTask(plan: Plan, id: string): FoundTask {
  const text = readFileSync(join(plan.dir, TASKS_FILE));
  const needle = Buffer.from(`{"id":${JSON.stringify(id)},`);
  let at = text.indexOf(needle);
  // Every record starts a line with its id, so a match must sit at the start of a line.
  while (at > 0 && text[at - 1] !== 0x0a) at = text.indexOf(needle, at + 1);
  if (at < 0)
    throw new BatchplanError(
      'E_UNKNOWN_TASK',
      `no task '${id}' in plan ${plan.dir}`,
      'Task ids are listed by `batchplan tasks <plan>`.',
    );
  const idx = readFileSync(join(plan.dir, INDEX_FILE));
  const view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  let lo = 0;
  let hi = plan.file.totalTasks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (view.getFloat64(mid * 8, true) <= at) lo = mid;
    else hi = mid - 1;
  }
  const stageIndex = plan.file.stages.findIndex((s) => lo >= s.firstTask && lo < s.firstTask + s.tasks);
  const stage = plan.file.stages[stageIndex]!;
  return { stage, stageIndex, index: lo - stage.firstTask };
}
