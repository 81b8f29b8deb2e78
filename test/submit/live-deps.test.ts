// Dependencies on a job of an earlier submission that is still queued or running (RenderContext.live),
// as every scheduler runner's own words spell them, through the one submission path (submitSteps):
// a stage after the live stage waits for the live job's id as for an array submitted with it, and
// submit.sh says the same. A live array some of whose elements failed is waited for element by
// element where the scheduler can name elements (Slurm), and refused where it cannot.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { renderContext } from '../../src/runners/context.js';
import type { LiveJob, RenderContext } from '../../src/runners/render-context.js';
import { lsfScheduler } from '../../src/runners/lsf-scheduler.js';
import { pbsScheduler } from '../../src/runners/pbs-scheduler.js';
import { sgeScheduler } from '../../src/runners/sge-scheduler.js';
import { slurmScheduler } from '../../src/runners/slurm-scheduler.js';
import type { ArraySubmission, SchedulerAdapter } from '../../src/runners/scheduler.js';
import { submitScriptView } from '../../src/runners/submit-script.js';
import { placeholderIds, recordEntries, resolveArgv, submitSteps } from '../../src/runners/submit-steps.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-live-deps-');
const plan = join(dir, 'live.plan');
writeFileSync(
  join(dir, 'live.yaml'),
  `stages:
  - name: extract
    template: 'echo {{k}}'
    matrix: {k: {range: [0, 4]}}
  - name: merge
    after: [extract]
    template: 'echo merge {{k}}'
    matrix: {k: {range: [0, 2]}}
`,
);

function context(options: Record<string, unknown>, live: LiveJob[]): RenderContext {
  const ctx = renderContext(readPlan(plan), 2, {
    options,
    batchplanCommand: 'batchplan',
    batchplanVersion: '0',
  });
  return { ...ctx, live, left: [[], [[0, 2]]] };
}

const merge: ArraySubmission = { stageIndex: 1, array: true, file: 'stage-1.sh', offset: 0, size: 2 };
const liveJob = (jobId: string, over: Partial<LiveJob> = {}): LiveJob => ({
  stageIndex: 0,
  jobId,
  offset: 0,
  size: 2,
  elements: [0, 1],
  endedBadly: false,
  ...over,
});

/** The argv of the one step submitted (merge), live ids filled in. */
function mergeArgv(scheduler: SchedulerAdapter, ctx: RenderContext): string[] {
  const steps = submitSteps(ctx, scheduler, [merge]);
  expect(steps.map((s) => s.live)).toEqual([ctx.live![0]!.jobId, undefined]);
  return resolveArgv(steps[1]!.command.argv, placeholderIds(ctx, steps), '/s');
}

describe('dependencies on a live job', () => {
  it('plans', () => expect(cli(['plan', join(dir, 'live.yaml'), '-o', plan]).code).toBe(0));

  it('each scheduler spells the wait for the live job as for a job submitted with it', () => {
    expect(mergeArgv(slurmScheduler, context({}, [liveJob('4242')]))).toContain('--dependency=afterok:4242');
    expect(mergeArgv(pbsScheduler, context({ flavor: 'pro' }, [liveJob('77[].pbs01')]))).toContain(
      'depend=afterok:77[].pbs01',
    );
    // Torque names a dependency on an array afterokarray, known from the id as for a new array.
    expect(mergeArgv(pbsScheduler, context({ flavor: 'torque' }, [liveJob('78[].srv')]))).toContain(
      'depend=afterokarray:78[].srv',
    );
    const sge = mergeArgv(sgeScheduler, context({}, [liveJob('31')]));
    expect(sge.slice(sge.indexOf('-hold_jid'), sge.indexOf('-hold_jid') + 2)).toEqual(['-hold_jid', '31']);
    expect(mergeArgv(lsfScheduler, context({}, [liveJob('55')]))).toContain('done(55)');
  });

  it('a live array with failed elements: Slurm waits for its live elements by name; PBS cannot, and refuses', () => {
    const failed = [liveJob('4242', { elements: [1], endedBadly: true })];
    expect(mergeArgv(slurmScheduler, context({}, failed))).toContain('--dependency=afterok:4242_1');
    expect(() => submitSteps(context({ flavor: 'pro' }, failed), pbsScheduler, [merge])).toThrow(
      /job 4242 is still queued or running, but some of its array elements failed/,
    );
  });

  it('the record carries the live job with the partitions it holds, and submit.sh names it instead of submitting it', () => {
    const ctx = context({}, [liveJob('4242', { elements: [1] })]);
    const entries = recordEntries(slurmScheduler, submitSteps(ctx, slurmScheduler, [merge]));
    expect(entries.map(({ id: _, ...e }) => e)).toEqual([
      { stage: 0, offset: 0, size: 2, only: [1] },
      { stage: 1, offset: 0, size: 2 },
    ]);
    const view = submitScriptView(ctx, 'slurm', slurmScheduler, [merge], { record: true });
    expect(view.live).toEqual(['job_0_0=(4242)   # stage extract, partitions 1: queued or running already']);
    expect(view.steps).toHaveLength(1);
    expect(view.steps[0]!.command).toContain('--dependency=afterok:"${job_0_0}"');
    expect(view.record).toContain('"only":[1]');
  });
});
