// Per-partition dependencies in the one submission path: for a stage needed task by task, Slurm's
// steps wait for the whole array with afterany and then narrow each element to the elements it
// needs (the steps `batchplan submit` runs and submit.sh renders); schedulers without `narrow`
// keep the afterok stage barrier; Grid Engine pairs task i with task i (-hold_jid_ad) where each
// partition needs at most its own counterpart. The needs come from the plan's segments for the N chosen.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { renderContext } from '../../src/runners/context.js';
import { resolveArgv, submitSteps } from '../../src/runners/submit-steps.js';
import { slurmScheduler } from '../../src/runners/slurm-scheduler.js';
import { pbsScheduler } from '../../src/runners/pbs-scheduler.js';
import { sgeScheduler } from '../../src/runners/sge-scheduler.js';
import { lsfScheduler } from '../../src/runners/lsf-scheduler.js';
import type { ArraySubmission } from '../../src/runners/scheduler.js';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-steps-');
const plan = join(dir, 'qdo.plan');

function context(n: number, planDir = plan) {
  return renderContext(readPlan(planDir), n, {
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

  describe('sge: -hold_jid_ad where each partition needs only its own counterpart', () => {
    // 4 groups of 3 extracts, no urgent task: with N = 4, merge partition g needs extract partition g.
    const aligned = join(dir, 'aligned.plan');
    it('plans', () => {
      writeFileSync(
        join(dir, 'aligned.yaml'),
        `stages:
  - {name: extract, template: "echo {{group}} {{part}}", matrix: {group: {range: [0, 4]}, part: {range: [0, 3]}}}
  - name: merge
    template: "echo {{group}}"
    matrix: {group: {range: [0, 4]}}
    requires: [{stage: extract, match: {group: "{{group}}"}}]
`,
      );
      expect(cli(['plan', join(dir, 'aligned.yaml'), '-o', aligned]).code).toBe(0);
    });
    const qsub = (steps: ReturnType<typeof submitSteps>, k: number, ids: string[][]) =>
      resolveArgv(steps[k]!.command.argv, ids, '/d').join(' ');

    it('equal arrays whose partitions pair up: the merge array holds task by task', () => {
      const steps = submitSteps(context(4, aligned), sgeScheduler, subs(4));
      expect(steps[1]!.after).toEqual([{ job: 0, type: 'afterany', paired: true }]);
      expect(qsub(steps, 1, [['100'], ['200']])).toContain('-hold_jid_ad 100 ');
      expect(qsub(steps, 1, [['100'], ['200']])).not.toContain('-hold_jid 100');
      expect(steps[1]!.then).toBeUndefined();
    });

    it('lsf: the one-to-one array dependency ended(<id>[*]) beside the whole-array done(<id>)', () => {
      const steps = submitSteps(context(4, aligned), lsfScheduler, subs(4));
      expect(steps[1]!.after).toEqual([{ job: 0, type: 'afterany', paired: true }]);
      const argv = resolveArgv(steps[1]!.command.argv, [['100'], ['200']], '/d');
      expect(argv.slice(argv.indexOf('-w'))).toEqual(['-w', 'ended(100[*])', '-ti']);
      const both = submitSteps(context(32), lsfScheduler, subs(32));
      expect(resolveArgv(both[1]!.command.argv, [['100'], ['200']], '/d')).toContain('done(100)');
    });

    it('a partition needing another index (the qdo example’s urgent task shifts the groups): the barrier', () => {
      const steps = submitSteps(context(32), sgeScheduler, subs(32));
      expect(steps[1]!.after).toEqual([{ job: 0, type: 'afterok' }]);
      expect(qsub(steps, 1, [['100'], ['200']])).toContain('-hold_jid 100 ');
    });

    it('split arrays: paired with the equal one, none on the other; the barrier where ranges differ', () => {
      const arr = (stageIndex: number, offset: number, size: number): ArraySubmission => ({
        stageIndex,
        array: true,
        file: `stage-${stageIndex}.sge`,
        offset,
        size,
      });
      // Both stages split in arrays of 2: merge 0-1 holds on extract 0-1 task by task, not on 2-3.
      const even = submitSteps(context(4, aligned), sgeScheduler, [
        arr(0, 0, 2),
        arr(0, 2, 2),
        arr(1, 0, 2),
        arr(1, 2, 2),
      ]);
      expect(even[2]!.after).toEqual([{ job: 0, type: 'afterany', paired: true }]);
      expect(even[3]!.after).toEqual([{ job: 1, type: 'afterany', paired: true }]);
      // One merge array of 4 over extract arrays of 2: Grid Engine refuses -hold_jid_ad across ranges.
      const uneven = submitSteps(context(4, aligned), sgeScheduler, [
        arr(0, 0, 2),
        arr(0, 2, 2),
        arr(1, 0, 4),
      ]);
      expect(uneven[2]!.after).toEqual([
        { job: 0, type: 'afterok' },
        { job: 1, type: 'afterok' },
      ]);
    });
  });
});
