// Which partitions of a stage run-hosts sends out: those with a task not yet succeeded (as submit
// does for schedulers, src/submit/partitions-left.ts), so that a second run of the script after a
// partial one opens no session for a partition that is done. One stage's journals only.
import { stagePartitions, stageSlice } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { loadStageStatus } from '../status/load.js';
import { foldOutside } from '../status/outside.js';
import { toRanges } from '../status/resets.js';

/**
 * `leaveFailed` (--skip-failures, or the stage's skip_failures): a failed task is no work; then
 * `failedLeft` counts the failed tasks left alone, which leave the stage unfinished.
 */
export function partitionsToRun(
  plan: Plan,
  stageIndex: number,
  n: number,
  leaveFailed = false,
): { open: number[]; failedLeft: number } {
  const stage = plan.file.stages[stageIndex]!;
  const tasks = stage.tasks;
  const { status } = loadStageStatus(plan.dir, stageIndex, tasks);
  foldOutside(plan, stageIndex, status, { remote: false });
  const open: number[] = [];
  let failedLeft = 0;
  for (let p = 0; p < stagePartitions(stage, n); p++) {
    const { start, end } = stageSlice(stage, n, p);
    let work = false;
    for (let i = start; i < end && !(work && !leaveFailed); i++) {
      if (status.isSucceeded(i)) continue;
      if (leaveFailed && status.stateOf(i) === 'failed') failedLeft++;
      else work = true;
    }
    if (work) open.push(p);
  }
  return { open, failedLeft };
}

/** 0-3, 7, 9-10: a list of partitions in a message. */
export function rangesText(sorted: readonly number[]): string {
  return toRanges(sorted)
    .map(([a, b]) => (b - a === 1 ? String(a) : `${a}-${b - 1}`))
    .join(', ');
}
