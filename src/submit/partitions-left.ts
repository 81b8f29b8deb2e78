// Which partitions of each stage still have work (a task that has not succeeded, including tasks
// that retry/rerun reset): what submit and submit.sh submit (src/runners/work-left.ts).
import { stagePartitions, stageSlice } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { toRanges } from '../status/resets.js';
import { loadPlanStatus } from '../status/plan-status.js';

/** Per stage index, the partitions (of N asked for, or the stage's own) with work left, as ranges [start, end). */
export function partitionsLeft(plan: Plan, n: number): [number, number][][] {
  const loaded = loadPlanStatus(plan);
  return plan.file.stages.map((stage, k) => {
    const { status } = loaded[k]!;
    const parts = stagePartitions(stage, n);
    const open: number[] = [];
    for (let p = 0; p < parts; p++) {
      const { start, end } = stageSlice(stage, n, p);
      for (let i = start; i < end; i++)
        if (!status.isSucceeded(i)) {
          open.push(p);
          break;
        }
    }
    return toRanges(open);
  });
}
