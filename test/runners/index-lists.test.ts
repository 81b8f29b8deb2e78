// Slurm's index lists: the partitions left of a stage, however scattered, are one array
// (`--array=0,4-5`) per span the site's MaxArraySize allows, not one array per contiguous range;
// each element's per-partition dependencies name only elements that were submitted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { indexRanges } from '../../src/runners/array-chunks.js';
import { renderContext } from '../../src/runners/context.js';
import type { RenderContext } from '../../src/runners/render-context.js';
import type { ArraySubmission } from '../../src/runners/scheduler.js';
import { arrayOptions, slurmScheduler } from '../../src/runners/slurm-scheduler.js';
import { resolveArgv, submitSteps } from '../../src/runners/submit-steps.js';
import { withWorkLeft } from '../../src/runners/work-left.js';
import { cli, scratch } from '../helpers.js';

const sub = (stageIndex: number, offset: number, size: number): ArraySubmission => ({
  stageIndex,
  array: true,
  file: `stage-${stageIndex}.sbatch`,
  offset,
  size,
});
const ctx = (left: RenderContext['left']) => ({ left }) as RenderContext;
const shape = (subs: ArraySubmission[]) => subs.map((s) => [s.offset, s.size, s.indices ?? null]);

describe('index lists (slurm)', () => {
  it('compacts indices into ranges', () => {
    expect(indexRanges([0, 4, 5, 6, 9])).toBe('0,4-6,9');
    expect(indexRanges([3])).toBe('3');
    expect(arrayOptions({ offset: 1, size: 6, indices: [0, 4, 5] }, 2)).toEqual([
      '--array=0,4-5%2',
      '--export=ALL,BATCHPLAN_ARRAY_OFFSET=1',
    ]);
  });

  it('one array for the scattered partitions left, where other schedulers get one per range', () => {
    const left: RenderContext['left'] = [
      [
        [1, 2],
        [5, 7],
      ],
      [],
    ];
    const subs = [sub(0, 0, 8), sub(1, 0, 8)];
    expect(shape(withWorkLeft(ctx(left), slurmScheduler, subs))).toEqual([[1, 6, [0, 4, 5]]]);
    expect(shape(withWorkLeft(ctx(left), {}, subs))).toEqual([
      [1, 1, null],
      [5, 2, null],
    ]);
  });

  it('splits only where the span would exceed the largest array (MaxArraySize), across its chunks', () => {
    // Partitions 0-9 in arrays of 4 (0-3, 4-7, 8-9); work left in 3, 5-8: spans 3..6 and 7..8.
    const subs = [sub(0, 0, 4), sub(0, 4, 4), sub(0, 8, 2)];
    const left: RenderContext['left'] = [
      [
        [3, 4],
        [5, 9],
      ],
    ];
    const out = withWorkLeft(ctx(left), slurmScheduler, subs);
    expect(shape(out)).toEqual([
      [3, 4, [0, 2, 3]],
      [7, 2, null], // contiguous: a plain range again
    ]);
    for (const s of out) expect(Math.max(...(s.indices ?? [s.size - 1]))).toBeLessThan(4);
  });

  it('per-element dependencies name only the submitted elements of the prerequisite array', () => {
    const dir = scratch('batchplan-index-lists-');
    const spec = join(dir, 'g.yaml');
    // 8 groups of 2 extracts, N=8: group g is extract partition g, merge g is merge partition g.
    writeFileSync(
      spec,
      `stages:
  - name: extract
    template: "echo {{group}} {{part}}"
    matrix: {group: {range: [0, 8]}, part: {range: [0, 2]}}
  - name: merge
    template: "echo merge {{group}}"
    matrix: {group: {range: [0, 8]}}
    requires: [{stage: extract, match: {group: "{{group}}"}}]
`,
    );
    expect(cli(['plan', spec, '-o', join(dir, 'g.plan')]).code).toBe(0);
    const c = renderContext(readPlan(join(dir, 'g.plan')), 8, {
      options: {},
      batchplanCommand: 'batchplan',
      batchplanVersion: '0',
    });
    c.left = [
      [
        [1, 2],
        [5, 7],
      ],
      [
        [1, 2],
        [5, 7],
      ],
    ];
    const subs = withWorkLeft(c, slurmScheduler, [sub(0, 0, 8), sub(1, 0, 8)]);
    const steps = submitSteps(c, slurmScheduler, subs);
    const ids = [['100'], ['200']];
    expect(resolveArgv(steps[1]!.command.argv, ids, '/d')).toContain('--array=0,4-5');
    expect(steps[1]!.then!.map((t) => resolveArgv(t.argv, ids, '/d').slice(2))).toEqual([
      ['JobId=200_0', 'Dependency=afterany:100_0'],
      ['JobId=200_4', 'Dependency=afterany:100_4'],
      ['JobId=200_5', 'Dependency=afterany:100_5'],
    ]);
  });
});
