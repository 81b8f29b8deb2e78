// Find a task by id: a substring search of tasks.jsonl (and of each added generation's), then the index to turn a byte offset into a
// task number. Costs one read of the task file, not one parse per task.
import { readFileSync } from 'node:fs';
import { BatchplanError } from '../errors.js';
import { nearest } from '../util/did-you-mean.js';
import { planGenerations } from './generations.js';
import type { PlanStage } from './model.js';
import type { Plan } from './read.js';

export interface FoundTask {
  stage: PlanStage;
  stageIndex: number;
  /** Stage-relative task index. */
  index: number;
}

export function findTask(plan: Plan, id: string): FoundTask {
  const found = locate(plan, id);
  if (found) return found;
  const near = nearId(plan, id);
  throw new BatchplanError(
    'E_UNKNOWN_TASK',
    `no task '${id}' in plan ${plan.dir}${near ? ` (did you mean '${near}'?)` : ''}`,
    'Task ids are listed by `batchplan tasks <plan>`.',
  );
}

/** `extrct.3` -> `extract.3` when the stage name is mistyped and that task exists (ids `<stage>.<n>`). */
function nearId(plan: Plan, id: string): string | undefined {
  const dot = id.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const names = plan.file.stages.map((s) => s.name);
  const stage = nearest(id.slice(0, dot), names);
  if (!stage || names.includes(id.slice(0, dot))) return undefined;
  const candidate = `${stage}${id.slice(dot)}`;
  return locate(plan, candidate) ? candidate : undefined;
}

function locate(plan: Plan, id: string): FoundTask | undefined {
  const needle = Buffer.from(`{"id":${JSON.stringify(id)},`);
  for (const gen of planGenerations(plan)) {
    const text = readFileSync(gen.tasks);
    let at = text.indexOf(needle);
    // Every record starts a line with its id, so a match must sit at the start of a line.
    while (at > 0 && text[at - 1] !== 0x0a) at = text.indexOf(needle, at + 1);
    if (at < 0) continue;
    const idx = readFileSync(gen.index);
    const view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
    let lo = 0;
    let hi = gen.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (view.getFloat64(mid * 8, true) <= at) lo = mid;
      else hi = mid - 1;
    }
    const k = gen.firstTask + lo;
    const stageIndex = plan.file.stages.findIndex((s) => k >= s.firstTask && k < s.firstTask + s.tasks);
    const stage = plan.file.stages[stageIndex]!;
    return { stage, stageIndex, index: k - stage.firstTask };
  }
  return undefined;
}
