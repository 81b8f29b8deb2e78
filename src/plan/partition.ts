// Partition arithmetic: from (task count, N, i) alone every process computes the same contiguous,
// balanced slice. Sizes differ by at most one; N above the task count yields fewer partitions.
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
