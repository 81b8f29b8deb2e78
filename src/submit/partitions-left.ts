// Which partitions of each stage still have work (a task that has not succeeded, including tasks
// that retry/rerun reset): what submit and submit.sh submit (src/runners/work-left.ts).
import { barrierStages } from '../exec/prerequisite-stages.js';
import { stagePartitions, stageSlice } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { readStageDeps } from '../plan/task-deps-format.js';
import { requiredOf } from '../plan/task-deps-query.js';
import { toRanges } from '../status/resets.js';
import { loadPlanStatus } from '../status/plan-status.js';

/**
 * Per stage index, the partitions (of N asked for, or the stage's own) with work left, as ranges
 * [start, end). `leaveFailed(k)`: stage k leaves failed tasks alone (--skip-failures, or its
 * skip_failures), so a failed task is no work, nor is a blocked task that requires such a task
 * (it would be blocked again at once); such a stage can then never finish, and the stages that wait
 * for it whole (`after` without `requires`) have no work that could run either.
 */
export function partitionsLeft(
  plan: Plan,
  n: number,
  leaveFailed: (stageIndex: number) => boolean = () => false,
): [number, number][][] {
  const loaded = loadPlanStatus(plan);
  const cannotFinish = new Set<string>();
  /** Per stage, the tasks that cannot succeed while failures are left alone. */
  const stuck = plan.file.stages.map(() => new Set<number>());
  const anyLeft = plan.file.stages.some((_, k) => leaveFailed(k));
  return plan.file.stages.map((stage, k) => {
    if (barrierStages(stage).some((d) => cannotFinish.has(d))) {
      cannotFinish.add(stage.name);
      return [];
    }
    const { status } = loaded[k]!;
    const leave = leaveFailed(k);
    const segments = anyLeft && stage.requires ? readStageDeps(plan.dir, k, stage.tasks) : undefined;
    const needsStuck = (i: number) =>
      [...requiredOf(segments!, i)].some(([s, ranges]) =>
        ranges.some(([a, b]) => {
          for (let j = a; j < b; j++) if (stuck[s]!.has(j)) return true;
          return false;
        }),
      );
    const parts = stagePartitions(stage, n);
    const open: number[] = [];
    for (let p = 0; p < parts; p++) {
      const { start, end } = stageSlice(stage, n, p);
      let work = false;
      // Stop at the first task of work, unless failures are left alone anywhere: then every task
      // is looked at, for the stuck ones that later stages' blocked tasks may require.
      for (let i = start; i < end && !(work && !anyLeft); i++) {
        if (status.isSucceeded(i)) continue;
        const state = status.stateOf(i);
        if ((leave && state === 'failed') || (segments && state === 'blocked' && needsStuck(i))) {
          stuck[k]!.add(i);
          cannotFinish.add(stage.name);
        } else work = true;
      }
      if (work) open.push(p);
    }
    return toRanges(open);
  });
}
