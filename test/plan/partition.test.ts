// Partition arithmetic: every process computes the same contiguous, balanced slices from
// (count, N, i) alone.
import { describe, expect, it } from 'vitest';
import { BatchplanError } from '../../src/errors.js';
import { actualPartitions, checkedSlice, partitionSlice } from '../../src/plan/partition.js';

const COUNTS = [1, 2, 3, 5, 7, 10, 16, 17, 63, 64, 65, 100, 101, 997, 1000, 4096, 100_003];
const NS = [1, 2, 3, 4, 5, 7, 8, 10, 16, 31, 64, 100, 1000, 5000, 200_000];

describe('partitionSlice / actualPartitions', () => {
  it('slices are contiguous, cover every task once, and differ in size by at most one', () => {
    // Plain checks in the loops (hundreds of thousands of slices), one assertion on what went wrong.
    const problems: string[] = [];
    for (const count of COUNTS)
      for (const n of NS) {
        const at = `count ${count}, N ${n}`;
        const parts = actualPartitions(count, n);
        if (parts !== Math.min(count, n)) problems.push(`${at}: ${parts} partitions`);
        let next = 0;
        let min = Infinity;
        let max = 0;
        for (let i = 0; i < parts; i++) {
          const { start, end } = partitionSlice(count, n, i);
          // Contiguous: each slice starts where the previous one ended; none is empty.
          if (start !== next || !(end > start) || !Number.isInteger(start) || !Number.isInteger(end))
            problems.push(`${at}, i ${i}: [${start}, ${end}) after ${next}`);
          min = Math.min(min, end - start);
          max = Math.max(max, end - start);
          next = end;
        }
        // Every task exactly once: the slices tile [0, count).
        if (next !== count) problems.push(`${at}: slices end at ${next}`);
        // Balanced: the sizes are the floor and ceiling of count / parts (so differ by at most one).
        if (max - min > 1 || min !== Math.floor(count / parts) || max !== Math.ceil(count / parts))
          problems.push(`${at}: sizes ${min}..${max}`);
      }
    expect(problems).toEqual([]);
  });

  it('bigger slices come first', () => {
    for (const count of COUNTS)
      for (const n of NS) {
        const sizes = [];
        for (let i = 0; i < actualPartitions(count, n); i++) {
          const s = partitionSlice(count, n, i);
          sizes.push(s.end - s.start);
        }
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      }
  });

  it('N above the task count gives one task per partition', () => {
    for (const count of [1, 3, 10]) {
      const n = count * 5 + 1;
      expect(actualPartitions(count, n)).toBe(count);
      for (let i = 0; i < count; i++) expect(partitionSlice(count, n, i)).toEqual({ start: i, end: i + 1 });
    }
  });

  it('each slice is a pure function of (count, N, i): computed alone it matches the full walk', () => {
    const count = 1_000_003;
    const n = 977;
    let next = 0;
    for (let i = 0; i < n; i++) {
      const s = partitionSlice(count, n, i);
      expect(s.start).toBe(next);
      next = s.end;
    }
    expect(next).toBe(count);
    expect(partitionSlice(count, n, 500)).toEqual(partitionSlice(count, n, 500));
  });

  it('one partition holds everything', () => {
    for (const count of COUNTS) expect(partitionSlice(count, 1, 0)).toEqual({ start: 0, end: count });
  });
});

describe('checkedSlice', () => {
  function rangeError(stage: string, count: number, n: number, i: number): BatchplanError {
    try {
      checkedSlice(stage, count, n, i);
    } catch (err) {
      expect(err).toBeInstanceOf(BatchplanError);
      return err as BatchplanError;
    }
    throw new Error(`expected partition ${i} of ${n} (${count} tasks) to be refused`);
  }

  it('returns the same slice as partitionSlice for every valid index', () => {
    for (const count of [1, 7, 100])
      for (const n of [1, 3, 8, 150])
        for (let i = 0; i < actualPartitions(count, n); i++)
          expect(checkedSlice('s', count, n, i)).toEqual(partitionSlice(count, n, i));
  });

  it('an index past the end is E_PARTITION_RANGE giving the valid range', () => {
    const err = rangeError('extract', 100, 4, 4);
    expect(err.code).toBe('E_PARTITION_RANGE');
    expect(err.exitCode).toBe(10);
    expect(err.message).toContain('partition index 4');
    expect(err.message).toContain('0..3');
    expect(err.message).toContain("'extract'");
    expect(err.hint).toMatch(/zero-based/);
  });

  it('when N exceeds the task count, the message says how many partitions there really are', () => {
    const err = rangeError('merge', 3, 10, 5);
    expect(err.code).toBe('E_PARTITION_RANGE');
    expect(err.message).toContain('0..2');
    expect(err.message).toMatch(/3 tasks/);
    expect(err.message).toMatch(/N = 10 yields only 3 partitions/);
  });

  it('the last valid index is accepted and the next refused, for many (count, N)', () => {
    for (const count of COUNTS.slice(0, 10))
      for (const n of NS.slice(0, 10)) {
        const parts = actualPartitions(count, n);
        expect(checkedSlice('s', count, n, parts - 1).end).toBe(count);
        expect(rangeError('s', count, n, parts).code).toBe('E_PARTITION_RANGE');
      }
  });

  it.each([-1, 1.5, Number.NaN])('refuses the index %d', (i) => {
    expect(rangeError('s', 10, 4, i).code).toBe('E_PARTITION_RANGE');
  });
});
