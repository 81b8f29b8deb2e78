// The local runners' order of partitions for stages needed task by task (local-view.ts): steps
// (a stage alone behind the barrier, or stages joined by requires) and, in a step, each partition
// right after the last partition it needs, which is what lets them start early.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { renderContext } from '../../src/runners/context.js';
import { localSteps, partitionOrder } from '../../src/runners/local-view.js';
import type { RenderStage } from '../../src/runners/runner.js';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-order-');

const stage = (
  index: number,
  name: string,
  partitions: number,
  more: Partial<RenderStage> = {},
): RenderStage => ({
  name,
  index,
  tasks: partitions,
  partitions,
  after: [],
  resources: {},
  ...more,
});

describe('local runners: steps and partition order', () => {
  it('the qdo example: each merge partition right after the extract partitions it needs', () => {
    const plan = join(dir, 'qdo.plan');
    expect(cli(['plan', join(FIXTURES, 'examples', 'qdo.yaml'), '-o', plan]).code).toBe(0);
    const ctx = renderContext(readPlan(plan), 4, {
      options: {},
      batchplanCommand: 'b',
      batchplanVersion: '0',
    });
    const steps = localSteps(ctx.stages);
    expect(steps.map((s) => s.map((x) => x.name))).toEqual([['extract', 'merge']]);
    // Merge p needs extract p and p + 1 (the urgent task shifts the groups); merge 3 needs 0 and 3.
    const names = ['e', 'm'];
    expect(partitionOrder(steps[0]!).map(([s, p]) => `${names[s]}${p}`)).toEqual([
      'e0',
      'e1',
      'm0',
      'e2',
      'm1',
      'e3',
      'm2',
      'm3',
    ]);
  });

  it('a stage after a stage of the step as a whole starts a new step; one needing nothing of it goes first', () => {
    const needs = (stageIndex: number, partitions: number[][]) => ({
      after: ['a'],
      requires: [{ stage: stageIndex, partitions }],
    });
    const a = stage(0, 'a', 2);
    const b = stage(1, 'b', 3, needs(0, [[1], [], [0, 1]]));
    const c = stage(2, 'c', 1, { after: ['b'] });
    const d = stage(3, 'd', 1, needs(0, [[0]]));
    expect(localSteps([a, b, c, d]).map((s) => s.map((x) => x.name))).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(partitionOrder([a, b])).toEqual([
      [1, 1],
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 2],
    ]);
  });
});
