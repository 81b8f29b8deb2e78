// For a plan split into partitions (each stage's count known at generate-script/submit time), the
// partitions of earlier stages each partition of a dependant stage needs: what a scheduler that can
// express per-partition dependencies waits for instead of a whole stage. Reads deps/stage-<k>.json.
import type { Plan } from './read.js';
import { readStageDeps, type PartitionNeeds } from './task-deps-format.js';
import { prerequisitePartitions } from './task-deps-query.js';

/**
 * The needs of stage k split into `partitions[k]` partitions, for the stages it requires task by
 * task only (those in `after` by the user stay barriers); undefined when there are none.
 */
export function partitionNeeds(
  plan: Plan,
  k: number,
  partitions: readonly number[],
): PartitionNeeds[] | undefined {
  const stage = plan.file.stages[k]!;
  if (!stage.requires?.length) return undefined;
  const relaxed = new Set(stage.requires.map((name) => plan.file.stages.findIndex((s) => s.name === name)));
  const segments = readStageDeps(plan.dir, k, stage.tasks);
  const out = new Map<number, number[][]>([...relaxed].map((s) => [s, []]));
  for (let p = 0; p < partitions[k]!; p++) {
    const need = prerequisitePartitions(segments, stage.tasks, partitions[k]!, p, (s) => ({
      count: plan.file.stages[s]!.tasks,
      n: partitions[s]!,
    }));
    for (const [s, list] of out) list.push(need.get(s) ?? []);
  }
  return [...out].map(([s, list]) => ({ stage: s, partitions: list }));
}
