// Partition arithmetic: from (task count, N, i) alone every process computes the same contiguous,
// balanced slice. Sizes differ by at most one; N above the task count yields fewer partitions.
// A stage may fix its own count (plan.json `partitions`, from the spec's `partitions` or
// `tasks_per_partition`): it wins over the N asked for, which stays the default of the others.
import { BatchplanError } from '../errors.js';

export interface Slice {
  /** First task (stage-relative) and one past the last. */
  start: number;
  end: number;
}

/** How many partitions a stage of `count` tasks really gets when asked for N. */
export function actualPartitions(count: number, n: number): number {
  return Math.min(count, n);
}

export function partitionSlice(count: number, n: number, i: number): Slice {
  const parts = actualPartitions(count, n);
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const start = i * base + Math.min(i, extra);
  return { start, end: start + base + (i < extra ? 1 : 0) };
}

/** The slice of partition i, or a clear error when i is past the end for this stage. */
export function checkedSlice(stage: string, count: number, n: number, i: number): Slice {
  const parts = actualPartitions(count, n);
  if (!Number.isInteger(i) || i < 0 || i >= parts) {
    const why =
      parts < n
        ? ` (stage '${stage}' has ${count} task${count === 1 ? '' : 's'}, so N = ${n} yields only ${parts} partition${parts === 1 ? '' : 's'})`
        : '';
    throw new BatchplanError(
      'E_PARTITION_RANGE',
      `partition index ${i} is out of range 0..${parts - 1} for stage '${stage}'${why}`,
      'Partition indices are zero-based; use --one-based if your scheduler counts from 1.',
    );
  }
  return partitionSlice(count, n, i);
}

/** What a stage's partitions depend on: its task count and its own count, if it sets one. */
export interface PartitionedStage {
  name: string;
  tasks: number;
  /** The stage's own partition count (plan.json); unset: the N asked for. */
  partitions?: number;
}

/** The N that applies to a stage: its own count when it sets one, else the N asked for. */
export function stageN(stage: Pick<PartitionedStage, 'partitions'>, n: number): number {
  return stage.partitions ?? n;
}

/** How many partitions the stage really gets when N are asked for (its own count wins). */
export function stagePartitions(stage: Omit<PartitionedStage, 'name'>, n: number): number {
  return actualPartitions(stage.tasks, stageN(stage, n));
}

/** Partition i's slice of the stage when N are asked for (its own count wins). */
export function stageSlice(stage: Omit<PartitionedStage, 'name'>, n: number, i: number): Slice {
  return partitionSlice(stage.tasks, stageN(stage, n), i);
}

/** stageSlice, or a clear error when i is past the stage's last partition. */
export function checkedStageSlice(stage: PartitionedStage, n: number, i: number): Slice {
  if (stage.partitions === undefined) return checkedSlice(stage.name, stage.tasks, n, i);
  const parts = stagePartitions(stage, n);
  if (!Number.isInteger(i) || i < 0 || i >= parts)
    throw new BatchplanError(
      'E_PARTITION_RANGE',
      `partition index ${i} is out of range 0..${parts - 1} for stage '${stage.name}' (the stage sets its own ${parts} partition${parts === 1 ? '' : 's'}; N = ${n} applies to stages that set none)`,
      'Partition indices are zero-based; use --one-based if your scheduler counts from 1.',
    );
  return stageSlice(stage, n, i);
}
