// Which partitions of a stage run-hosts sends out: those with a task not yet succeeded (as submit
// does for schedulers, src/submit/partitions-left.ts), so that a second run of the script after a
// partial one opens no session for a partition that is done. One stage's journals only.
import { stagePartitions, stageSlice } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { loadStageStatus } from '../status/load.js';
import { foldOutside } from '../status/outside.js';
import { toRanges } from '../status/resets.js';

export function partitionsToRun(plan: Plan, stageIndex: number, n: number): number[] {
  const stage = plan.file.stages[stageIndex]!;
  const tasks = stage.tasks;
  const { status } = loadStageStatus(plan.dir, stageIndex, tasks);
  foldOutside(plan, stageIndex, status, { remote: false });
  const open: number[] = [];
  for (let p = 0; p < stagePartitions(stage, n); p++) {
    const { start, end } = stageSlice(stage, n, p);
    for (let i = start; i < end; i++)
      if (!status.isSucceeded(i)) {
        open.push(p);
        break;
      }
  }
  return open;
}

/** 0-3, 7, 9-10: a list of partitions in a message. */
export function rangesText(sorted: readonly number[]): string {
  return toRanges(sorted)
    .map(([a, b]) => (b - a === 1 ? String(a) : `${a}-${b - 1}`))
    .join(', ');
}
