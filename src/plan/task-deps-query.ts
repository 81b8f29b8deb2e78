// Questions about stored task dependencies (task-deps-format.ts), answered from the segments alone:
// what one task requires, and which partitions of earlier stages a partition needs for a given
// partition count. Pure; no zod, so run-partition and the runners may use it.
import type { DepSegment } from './task-deps-format.js';
import { actualPartitions, partitionSlice } from './partition.js';

/** Stage-relative [start, end) ranges, sorted and disjoint. */
export type TaskRanges = [number, number][];

/** The segment holding task p, or undefined (segments sorted by first task). */
function segmentOf(segments: readonly DepSegment[], p: number): DepSegment | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (p < s[0]) hi = mid - 1;
    else if (p >= s[0] + s[1]) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** What task p requires: per earlier stage (plan index), its tasks as ranges. */
export function requiredOf(segments: readonly DepSegment[], p: number): Map<number, TaskRanges> {
  const out = new Map<number, TaskRanges>();
  const seg = segmentOf(segments, p);
  if (!seg) return out;
  const j = p - seg[0];
  for (const [stage, start, width, stride] of seg[2]) {
    const a = start + j * stride;
    add(out, stage, a, a + width);
  }
  for (const [k, r] of out) out.set(k, merged(r));
  return out;
}

/** Everything the tasks [start, end) require together, per earlier stage. */
export function requiredByRange(
  segments: readonly DepSegment[],
  start: number,
  end: number,
): Map<number, TaskRanges> {
  const out = new Map<number, TaskRanges>();
  for (const [from, n, runs] of segments) {
    const lo = Math.max(start, from);
    const hi = Math.min(end, from + n);
    if (lo >= hi) continue;
    for (const [stage, s0, width, stride] of runs) {
      const j0 = lo - from;
      const j1 = hi - 1 - from;
      if (Math.abs(stride) <= width) {
        // Consecutive tasks' ranges touch or overlap: one range covers them all.
        const a = s0 + Math.min(j0 * stride, j1 * stride);
        const b = s0 + Math.max(j0 * stride, j1 * stride) + width;
        add(out, stage, a, b);
      } else for (let j = j0; j <= j1; j++) add(out, stage, s0 + j * stride, s0 + j * stride + width);
    }
  }
  for (const [k, r] of out) out.set(k, merged(r));
  return out;
}

/** The partition (of N asked for) that holds task q of a stage of `count` tasks. */
export function partitionOf(count: number, n: number, q: number): number {
  const parts = actualPartitions(count, n);
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const big = extra * (base + 1);
  return q < big ? Math.floor(q / (base + 1)) : extra + Math.floor((q - big) / base);
}

/** Partitions [first, last] of a stage that hold the tasks of `ranges`, as a sorted list. */
export function partitionsOf(count: number, n: number, ranges: TaskRanges): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) {
    const first = partitionOf(count, n, a);
    const last = partitionOf(count, n, b - 1);
    for (let p = Math.max(first, (out.at(-1) ?? -1) + 1); p <= last; p++) out.push(p);
  }
  return out;
}

/**
 * For partition `index` of a stage split into `n`, the partitions of each earlier stage it needs,
 * given each stage's task count and partition count. O(segments overlapping it).
 */
export function prerequisitePartitions(
  segments: readonly DepSegment[],
  stageCount: number,
  n: number,
  index: number,
  other: (stage: number) => { count: number; n: number },
): Map<number, number[]> {
  const slice = partitionSlice(stageCount, n, index);
  const out = new Map<number, number[]>();
  for (const [stage, ranges] of requiredByRange(segments, slice.start, slice.end)) {
    const o = other(stage);
    out.set(stage, partitionsOf(o.count, o.n, ranges));
  }
  return out;
}

function add(out: Map<number, TaskRanges>, stage: number, a: number, b: number): void {
  if (b <= a) return;
  const list = out.get(stage);
  if (list) list.push([a, b]);
  else out.set(stage, [[a, b]]);
}

function merged(ranges: TaskRanges): TaskRanges {
  if (ranges.length < 2) return ranges;
  ranges.sort((x, y) => x[0] - y[0]);
  const out: TaskRanges = [[ranges[0]![0], ranges[0]![1]]];
  for (const [a, b] of ranges.slice(1)) {
    const last = out.at(-1)!;
    if (a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
