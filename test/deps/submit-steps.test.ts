// Per-partition dependencies in the one submission path: for a stage needed task by task, Slurm's
// steps wait for the whole array with afterany and then narrow each element to the elements it
// needs (the steps `batchplan submit` runs and submit.sh renders); schedulers without `narrow`
// keep the afterok stage barrier. The needs come from the plan's segments for the N chosen.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { renderContext } from '../../src/runners/context.js';
import { resolveArgv, submitSteps } from '../../src/runners/submit-steps.js';
import { slurmScheduler } from '../../src/runners/slurm-scheduler.js';
import { pbsScheduler } from '../../src/runners/pbs-scheduler.js';
import type { ArraySubmission } from '../../src/runners/scheduler.js';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-steps-');
const plan = join(dir, 'qdo.plan');

function context(n: number) {
  return renderContext(readPlan(plan), n, {
    options: {},
    batchplanCommand: 'batchplan',
    batchplanVersion: '0',
  });
}

const subs = (n: number, split = false): ArraySubmission[] =>
  split
    ? [
        { stageIndex: 0, array: true, file: 'stage-0.sbatch', offset: 0, size: n / 2 },
        { stageIndex: 0, array: true, file: 'stage-0.sbatch', offset: n / 2, size: n / 2 },
        { stageIndex: 1, array: true, file: 'stage-1.sbatch', offset: 0, size: n },
      ]
    : [
        { stageIndex: 0, array: true, file: 'stage-0.sbatch', offset: 0, size: n },
        { stageIndex: 1, array: true, file: 'stage-1.sbatch', offset: 0, size: n },
      ];

describe('per-partition dependencies for the qdo example', () => {
  it('plans', () => {
    expect(cli(['plan', join(FIXTURES, 'examples', 'qdo.yaml'), '-o', plan]).code).toBe(0);
  });

  it('the render context carries each merge partition’s extract partitions, for the N chosen', () => {
    const ctx = context(32);
    expect(ctx.stages[0]!.requires).toBeUndefined();
    const [need] = ctx.stages[1]!.requires!;
    expect(need!.stage).toBe(0);
    expect(need!.partitions.slice(0, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(need!.partitions[31]).toEqual([0, 31]);
    // With 8 merge partitions of 4 groups and 8 extract partitions of 100 tasks: 4g+1.. -> p, p+1.
    expect(context(8).stages[1]!.requires![0]!.partitions[0]).toEqual([0, 1]);
  });

  it('slurm: afterany on the whole array, then one scontrol update per element', () => {
    const steps = submitSteps(context(32), slurmScheduler, subs(32));
    const ids = [['100'], ['200']];
    expect(resolveArgv(steps[1]!.command.argv, ids, '/d')).toContain('--dependency=afterany:100');
    expect(steps[1]!.then).toHaveLength(32);
    expect(resolveArgv(steps[1]!.then![0]!.argv, ids, '/d')).toEqual([
      'scontrol',
      'update',
      'JobId=200_0',
      'Dependency=afterany:100_0:100_1',
    ]);
    expect(resolveArgv(steps[1]!.then![31]!.argv, ids, '/d')).toEqual([
      'scontrol',
      'update',
      'JobId=200_31',
      'Dependency=afterany:100_0:100_31',
    ]);
  });

  it('slurm: a stage split into two arrays is referenced element by element in each', () => {
    const steps = submitSteps(context(32), slurmScheduler, subs(32, true));
    const ids = [['100'], ['101'], ['200']];
    expect(resolveArgv(steps[2]!.command.argv, ids, '/d')).toContain('--dependency=afterany:100:101');
    // merge 15 needs extract partitions 15 (array 100, element 15) and 16 (array 101, element 0).
    expect(resolveArgv(steps[2]!.then![15]!.argv, ids, '/d').at(-1)).toBe('Dependency=afterany:100_15:101_0');
    expect(resolveArgv(steps[2]!.then![3]!.argv, ids, '/d').at(-1)).toBe('Dependency=afterany:100_3:100_4');
  });

  it('a scheduler without per-element dependencies keeps the afterok stage barrier', () => {
    const steps = submitSteps(context(32), pbsScheduler, subs(32));
    expect(steps[1]!.after).toEqual([{ job: 0, type: 'afterok' }]);
    expect(steps[1]!.then).toBeUndefined();
  });

  it('a plan without requires renders exactly as before (afterok, no narrowing)', () => {
    const sweep = join(dir, 'sweep.plan');
    expect(cli(['plan', join(FIXTURES, 'examples', 'sweep.yaml'), '-o', sweep]).code).toBe(0);
    const ctx = renderContext(readPlan(sweep), 4, {
      options: {},
      batchplanCommand: 'batchplan',
      batchplanVersion: '0',
    });
    const steps = submitSteps(ctx, slurmScheduler, subs(4));
    expect(resolveArgv(steps[1]!.command.argv, [['1'], ['2']], '/d')).toContain('--dependency=afterok:1');
    expect(steps[1]!.then).toBeUndefined();
  });
});
