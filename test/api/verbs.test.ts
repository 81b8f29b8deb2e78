// The qdo verbs of the API (BatchPlan.retry/rerun/add) do what `batchplan retry/rerun/add` do (one
// library: src/status/reset-tasks.ts, src/plan/add.ts) and return what they did; submit's options
// are checked per runner at run time as the types check them at compile time; errors are typed.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BatchplanError,
  SpecError,
  createPlan,
  isBatchplanError,
  loadSpec,
  type SubmitOptions,
} from '../../src/index.js';
import { SUBMIT_RUNNER_ARGS } from '../../src/api/submit-options.js';
import { optionKey } from '../../src/runners/flags.js';
import { RUNNERS } from '../../src/runners/registry.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-api-verbs-');
const resets = (plan: string) =>
  existsSync(join(plan, 'status/resets')) ? readdirSync(join(plan, 'status/resets')).length : 0;

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<BatchplanError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof BatchplanError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('BatchPlan.retry and rerun', () => {
  it('reset what did not succeed (or what is picked), as the CLI does; refused selections write nothing', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'a', template: 'exit {{rc}}', matrix: { rc: [0, 3, 0, 4] } },
          { name: 'b', tasks: [{ cmd: 'exit 5' }, { cmd: 'true' }] },
        ],
      },
      join(dir, 'retry.plan'),
    );
    await plan.run();
    expect((await plan.tasks({ state: 'failed' })).map((t) => t.id)).toEqual(['a.1', 'a.3', 'b.0']);

    // Nothing in that state / a succeeded task by id / an unknown stage: typed errors, no marker.
    expect((await rejection(() => plan.retry({ state: ['lost'] }))).code).toBe('E_NO_MATCH');
    const byId = await rejection(() => plan.retry({ id: ['a.0'] }));
    expect(byId.code).toBe('E_NO_MATCH');
    expect(byId.hint).toContain('rerun');
    expect((await rejection(() => plan.retry({ stage: ['nosuch'] }))).code).toBe('E_UNKNOWN_STAGE');
    // Without force (a JavaScript caller; the type requires it): refused.
    expect((await rejection(() => plan.rerun({} as never))).code).toBe('E_USAGE');
    expect(resets(plan.dir)).toBe(0);

    const one = plan.retry({ stage: ['b'] });
    expect(one).toMatchObject({ verb: 'retry', tasks: 1, stages: [{ stage: 'b', tasks: 1, ids: ['b.0'] }] });
    expect(one.resetAt).toBeInstanceOf(Date);
    expect(existsSync(one.marker)).toBe(true);
    expect((await plan.tasks({ state: 'pending' })).map((t) => t.id)).toEqual(['b.0']);
    const rest = plan.retry();
    expect(rest.stages).toEqual([{ stage: 'a', tasks: 2, ids: ['a.1', 'a.3'] }]);
    // The CLI reads the resets the API wrote.
    expect(cli(['status', plan.dir]).stdout).toContain('overall: 3/6 succeeded (50.0%), 3 pending');

    const again = plan.rerun({ force: true, state: ['succeeded'], stage: ['a'] });
    expect(again.stages).toEqual([{ stage: 'a', tasks: 2, ids: ['a.0', 'a.2'] }]);
    expect((await plan.tasks({ state: 'succeeded' })).map((t) => t.id)).toEqual(['b.1']);
  });
});

describe('BatchPlan.add', () => {
  it("appends stages after the plan's own; run() then runs only them; a clash writes nothing", async () => {
    const plan = await createPlan(
      { stages: [{ name: 'extract', template: 'echo {{g}}', matrix: { g: [1, 2] } }] },
      join(dir, 'add.plan'),
    );
    await plan.run();
    const added = await plan.add({
      stages: [
        {
          name: 'merge',
          template: 'echo merge {{g}}',
          matrix: { g: [1, 2] },
          requires: [{ stage: 'extract', match: { g: '{{g}}' } }],
        },
      ],
    });
    expect(added).toEqual({
      generation: 1,
      stages: [{ name: 'merge', tasks: 2, after: ['extract'] }],
      totalTasks: 4,
    });
    expect(plan.stages.map((s) => s.name)).toEqual(['extract', 'merge']);
    const result = await plan.run();
    expect(result.stages.map((s) => [s.stage, s.result?.succeeded])).toEqual([
      ['extract', 0],
      ['merge', 2],
    ]);
    expect(plan.logs('merge.1').stdout).toBe('merge 2\n');

    const clash = await rejection(plan.add({ stages: [{ name: 'merge', tasks: [{ cmd: 'true' }] }] }));
    expect(clash).toBeInstanceOf(SpecError);
    expect(clash.message).toMatch(/merge/);
    expect(plan.stages).toHaveLength(2);
    expect(JSON.parse(cli(['status', plan.dir, '--json']).stdout).stages).toHaveLength(2);
  });
});

describe('BatchPlan.tasks', () => {
  it('counts what only a Saturn status_code records, as status() and `batchplan tasks` do', async () => {
    const work = join(dir, 'saturn');
    mkdirSync(work);
    writeFileSync(
      join(work, 'batch.json'),
      JSON.stringify({
        remote_output_path: 'out',
        runs: [{ cmd: 'true' }, { cmd: 'true' }, { cmd: 'true' }],
      }),
    );
    const plan = await createPlan(loadSpec(join(work, 'batch.json')), join(work, 'batch.plan'));
    for (const [i, code] of [
      ['0', '0'],
      ['1', '3'],
    ] as const) {
      mkdirSync(join(work, 'out', i), { recursive: true });
      writeFileSync(join(work, 'out', i, 'status_code'), code); // done by sc batch
    }
    expect((await plan.tasks()).map((t) => [t.state, t.exitCode])).toEqual([
      ['succeeded', 0],
      ['failed', 3],
      ['pending', null],
    ]);
    expect((await plan.tasks({ state: 'failed' })).map((t) => t.id)).toEqual(
      JSON.parse(cli(['tasks', plan.dir, '--state', 'failed', '--json']).stdout).map(
        (t: { id: string }) => t.id,
      ),
    );
    expect((await plan.status()).overall).toMatchObject({ succeeded: 1, failed: 1, pending: 1 });
  });
});

describe('BatchPlan.submit options', () => {
  const planP = createPlan(
    { stages: [{ name: 'work', template: 'echo {{i}}', matrix: { i: { range: [0, 8] } } }] },
    join(dir, 'submit.plan'),
  );
  const refused = async (opts: unknown) =>
    rejection((await planP).submit(opts as SubmitOptions, { dryRun: true }));

  it('reach the rendered submission as the flags would (dry run)', async () => {
    const out = await (
      await planP
    ).submit(
      { runner: 'slurm', partitions: 4, time: 90, cpusPerTask: 2, maxRunning: 2, sbatchArg: ['--exclusive'] },
      { dryRun: true },
    );
    if (!out.dryRun || !('commands' in out)) throw new Error('expected a dry run');
    const argv = out.commands.flat().join(' ');
    expect(argv).toContain('--array=0-3%2');
    expect(out.files.length).toBeGreaterThan(0);
  });

  it('an option the runner does not take, a wrong type, a runner that cannot submit: E_USAGE naming both', async () => {
    const typo = await refused({ runner: 'slurm', partitions: 4, maxRuning: 2 });
    expect(typo.code).toBe('E_USAGE');
    expect(typo.message).toBe("runner 'slurm' has no submit option 'maxRuning' (did you mean 'maxRunning'?)");
    expect((await refused({ runner: 'sge', partitions: 4, layout: 'arrays' })).message).toBe(
      "runner 'sge' has no submit option 'layout'",
    );
    const other = await refused({ runner: 'pbs', partitions: 4, sbatchArg: ['-x'] });
    expect(other.message).toBe("runner 'pbs' has no submit option 'sbatchArg'");
    expect(other.hint).toMatch(/^Runner 'pbs' takes: partitions, nprocs, .*flavor, .*time, .*qsubArg\.$/);
    expect((await refused({ runner: 'slurm', partitions: 4, maxRunning: 'ten' })).message).toBe(
      `submit option 'maxRunning' of runner 'slurm': expected a positive integer, not "ten"`,
    );
    expect((await refused({ runner: 'slurm', partitions: 0 })).message).toMatch(
      /'partitions'.*positive integer/,
    );
    expect((await refused({ runner: 'pbs', partitions: 2, flavor: 'lsf' })).message).toMatch(
      /--flavor: 'lsf' is not one of pro, torque/,
    );
    expect((await refused({ runner: 'lsf', partitions: 2 })).message).toBe("runner 'lsf' cannot submit");
    const unknown = await refused({ runner: 'slrum', partitions: 2 });
    expect(unknown.code).toBe('E_UNKNOWN_RUNNER');
    expect(unknown.message).toContain("did you mean 'slurm'?");
  });
});

describe('SubmitOptions types', () => {
  it('cover exactly the runners that can submit, with their scheduler-args option', () => {
    const submittable = RUNNERS.filter((r) => r.capabilities.canSubmit);
    expect(Object.keys(SUBMIT_RUNNER_ARGS).sort()).toEqual(submittable.map((r) => r.name).sort());
    for (const r of submittable)
      expect(SUBMIT_RUNNER_ARGS[r.name as keyof typeof SUBMIT_RUNNER_ARGS]).toBe(
        optionKey(r.schedulerArgs!.flag),
      );
  });
});

describe('spec errors', () => {
  it('an `after` naming no stage suggests the nearest one', async () => {
    const err = await rejection(
      createPlan(
        {
          stages: [
            { name: 'extract', tasks: [{ cmd: 'true' }] },
            { name: 'merge', after: ['extrct'], tasks: [{ cmd: 'true' }] },
          ],
        },
        join(dir, 'after.plan'),
      ),
    );
    expect(err.message).toBe(
      "spec (stages[1].after[0]): unknown stage 'extrct' (did you mean 'extract'?) (stages are: extract, merge)",
    );
  });

  it('a task id with a mistyped stage suggests the task of the nearest stage, if it exists', async () => {
    const plan = await createPlan(
      { stages: [{ name: 'extract', tasks: [{ cmd: 'true' }, { cmd: 'true' }] }] },
      join(dir, 'ids.plan'),
    );
    expect((await rejection(() => plan.logs('extrct.1'))).message).toBe(
      `no task 'extrct.1' in plan ${plan.dir} (did you mean 'extract.1'?)`,
    );
    expect((await rejection(() => plan.logs('extrct.7'))).message).toBe(
      `no task 'extrct.7' in plan ${plan.dir}`,
    );
    expect(cli(['logs', plan.dir, 'extrct.0']).stderr).toContain("(did you mean 'extract.0'?)");
  });
});

describe('isBatchplanError', () => {
  it('tells a BatchplanError, of some codes, from anything else', () => {
    const e = new BatchplanError('E_NO_MATCH', 'x');
    expect(isBatchplanError(e)).toBe(true);
    expect(isBatchplanError(e, 'E_NO_MATCH')).toBe(true);
    expect(isBatchplanError(e, 'E_USAGE', 'E_NO_MATCH')).toBe(true);
    expect(isBatchplanError(e, 'E_USAGE')).toBe(false);
    expect(isBatchplanError(new Error('x'))).toBe(false);
    expect(isBatchplanError({ code: 'E_NO_MATCH' }, 'E_NO_MATCH')).toBe(false);
  });
});
