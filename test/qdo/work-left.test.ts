// withWorkLeft: a stage's submissions cut to the partitions with work left, one per contiguous range.
import { describe, expect, it } from 'vitest';
import type { RenderContext } from '../../src/runners/render-context.js';
import type { ArraySubmission } from '../../src/runners/scheduler.js';
import { withWorkLeft } from '../../src/runners/work-left.js';

const ctx = (left: RenderContext['left']) => ({ left }) as RenderContext;
const sub = (stageIndex: number, offset: number, size: number, array = true): ArraySubmission => ({
  stageIndex,
  array,
  file: `stage-${stageIndex}`,
  offset,
  size,
});

describe('withWorkLeft', () => {
  it('keeps every submission when nothing says otherwise', () => {
    const subs = [sub(0, 0, 4), sub(1, 0, 2)];
    expect(withWorkLeft(ctx(undefined), {}, subs)).toEqual(subs);
    expect(withWorkLeft(ctx([undefined, [[0, 2]]]), {}, subs)).toEqual(subs);
  });

  it('splits by ranges, across the arrays a size limit made, and drops a stage with none', () => {
    // Partitions 0-9 in arrays of 4 (0-3, 4-7, 8-9); work left in 3, 5-8.
    const subs = [sub(0, 0, 4), sub(0, 4, 4), sub(0, 8, 2), sub(1, 0, 3)];
    const left: RenderContext['left'] = [
      [
        [3, 4],
        [5, 9],
      ],
      [],
    ];
    expect(withWorkLeft(ctx(left), {}, subs).map((s) => [s.offset, s.size, s.array])).toEqual([
      [3, 1, true],
      [5, 3, true],
      [8, 1, true],
    ]);
  });

  it('a one-partition piece is a plain job where arrays need two elements (PBS Pro)', () => {
    const out = withWorkLeft(ctx([[[2, 3]]]), { minArraySize: 2 }, [sub(0, 0, 4)]);
    expect(out).toEqual([{ ...sub(0, 2, 1), array: false }]);
  });

  it('leaves a job of every stage (the allocation layout) alone', () => {
    const all = { ...sub(-1, 0, 1), array: false };
    expect(withWorkLeft(ctx([[]]), {}, [all])).toEqual([all]);
  });
});
