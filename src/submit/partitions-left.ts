// Which partitions of each stage still have work (a task that has not succeeded, including tasks
// that retry/rerun reset): what submit and submit.sh submit (src/runners/work-left.ts).
import { barrierStages } from '../exec/prerequisite-stages.js';
import { stagePartitions, stageSlice } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { toRanges } from '../status/resets.js';
import { loadPlanStatus } from '../status/plan-status.js';

/**
 * Per stage index, the partitions (of N asked for, or the stage's own) with work left, as ranges
 * [start, end). `leaveFailed(k)`: stage k leaves failed tasks alone (--skip-failures, or its
 * skip_failures), so a failed task is no work; such a stage can then never finish, and the stages
 * that wait for it whole (`after` without `requires`) have no work that could run either.
 */
export function partitionsLeft(
  plan: Plan,
  n: number,
  leaveFailed: (stageIndex: number) => boolean = () => false,
): [number, number][][] {
  const loaded = loadPlanStatus(plan);
  const cannotFinish = new Set<string>();
  return plan.file.stages.map((stage, k) => {
    if (barrierStages(stage).some((d) => cannotFinish.has(d))) {
      cannotFinish.add(stage.name);
      return [];
    }
    const { status } = loaded[k]!;
    const leave = leaveFailed(k);
    const parts = stagePartitions(stage, n);
    const open: number[] = [];
    for (let p = 0; p < parts; p++) {
      const { start, end } = stageSlice(stage, n, p);
      let work = false;
      // Stop at the first task of work, unless a failure left alone may still be found.
      const enough = () => work && (!leave || cannotFinish.has(stage.name));
      for (let i = start; i < end && !enough(); i++) {
        if (status.isSucceeded(i)) continue;
        if (leave && status.stateOf(i) === 'failed') cannotFinish.add(stage.name);
        else work = true;
      }
      if (work) open.push(p);
    }
    return toRanges(open);
  });
}
