// The TypeScript API (src/api, docs/api.md): specs from objects are checked like files, plans run
// here honouring `after` with independent stages at once, and status, tasks and logs read back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BatchplanError,
  SpecError,
  StopSignal,
  createPlan,
  defineSpec,
  loadSpecFile,
  openPlan,
  type Spec,
  type TaskInfo,
} from '../../src/index.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-api-');

function caught(f: () => unknown): BatchplanError {
  try {
    f();
  } catch (err) {
    if (err instanceof BatchplanError) return err;
    throw err;
  }
  throw new Error('no error');
}

/** [start, end) in ms of a task, from its journal. */
const span = (t: TaskInfo) => [t.startedAt!.getTime(), t.endedAt!.getTime()] as const;

describe('defineSpec', () => {
  it('refuses what the YAML loader refuses, with the same codes, paths and messages', () => {
    const bad = {
      stages: [
        { name: 'a', nproc: 2, tasks: [{ cmd: 'true' }] },
        { name: 'b', nprocs: 0, tasks: [{ cmd: true }] },
      ],
    };
    const yaml = join(dir, 'bad.json');
    writeFileSync(yaml, JSON.stringify(bad, null, 2));
    const fromFile = caught(() => loadSpecFile(yaml)) as SpecError;
    const fromObject = caught(() => defineSpec(bad as unknown as Spec)) as SpecError;
    expect(fromObject).toBeInstanceOf(SpecError);
    expect(fromObject.code).toBe('E_SPEC_INVALID');
    expect(fromObject.issues.map((i) => [i.location.path, i.message])).toEqual(
      fromFile.issues.map((i) => [i.location.path, i.message]),
    );
    expect(fromObject.message).toContain(
      "spec (stages[0].nproc): unknown key 'nproc' (did you mean 'nprocs'?)",
    );
    expect(fromObject.issues[0]!.location.file).toBe('spec');
    expect(caught(() => defineSpec(bad as unknown as Spec, { name: 'sweep()' })).message).toContain(
      'sweep() (stages[0].nproc)',
    );
  });

  it('an object spec and the same spec as a file make the same tasks', async () => {
    const spec: Spec = { stages: [{ name: 's', template: 'echo {{x}}', matrix: { x: [1, 2] } }] };
    const file = join(dir, 'same.json');
    writeFileSync(file, JSON.stringify(spec));
    expect(cli(['plan', file, '-o', join(dir, 'same-cli.plan')]).code).toBe(0);
    const plan = await createPlan(spec, join(dir, 'same-api.plan'));
    const ids = (p: string) => JSON.parse(cli(['tasks', p, '--json']).stdout).map((t: TaskInfo) => t.cmd);
    expect(ids(plan.dir)).toEqual(ids(join(dir, 'same-cli.plan')));
    expect(ids(plan.dir)).toEqual(['echo 1', 'echo 2']);
  });
});

describe('BatchPlan.run', () => {
  it('runs independent stages at the same time and a dependant after both', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'a', tasks: [{ cmd: 'sleep 1' }] },
          { name: 'b', tasks: [{ cmd: 'sleep 1' }] },
          { name: 'c', after: ['a', 'b'], tasks: [{ cmd: 'true' }] },
        ],
      },
      join(dir, 'overlap.plan'),
    );
    const started: string[] = [];
    const result = await plan.run({ nprocs: 1, onStageStart: (s) => started.push(s) });
    expect(result.ok).toBe(true);
    expect(started).toEqual(['a', 'b', 'c']);
    const [a, b, c] = (await plan.tasks()).map(span);
    // a and b overlap in time (each took a second); c started after both ended.
    expect(a![0]).toBeLessThan(b![1]);
    expect(b![0]).toBeLessThan(a![1]);
    expect(c![0]).toBeGreaterThanOrEqual(Math.max(a![1], b![1]));
  });

  it('a stage that ends first does not stop the tasks of another from being reaped (one launcher per process)', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'quick', tasks: [{ cmd: 'true' }] },
          { name: 'slow', tasks: [{ cmd: 'sleep 1' }] },
        ],
      },
      join(dir, 'reap.plan'),
    );
    const t0 = Date.now();
    expect((await plan.run()).ok).toBe(true);
    expect(Date.now() - t0).toBeLessThan(8_000);
  }, 20_000);

  it('does not run a stage whose prerequisite failed, nor the stages after it', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'bad', tasks: [{ cmd: 'echo oops >&2; exit 3' }, { cmd: 'echo fine' }] },
          { name: 'ok', tasks: [{ cmd: 'true' }] },
          { name: 'mid', after: ['bad'], tasks: [{ cmd: 'touch ran' }] },
          { name: 'last', after: ['mid', 'ok'], tasks: [{ cmd: 'touch ran' }] },
        ],
      },
      join(dir, 'blocked.plan'),
    );
    const result = await plan.run();
    expect(result.ok).toBe(false);
    expect(result.stages.map((s) => [s.stage, s.result?.failed ?? null, s.blockedBy ?? null])).toEqual([
      ['bad', 1, null],
      ['ok', 0, null],
      ['mid', null, ['bad']],
      ['last', null, ['mid']],
    ]);
    expect((await plan.tasks({ state: 'pending' })).map((t) => t.id)).toEqual(['mid.0', 'last.0']);
    const [failed] = await plan.tasks({ state: 'failed' });
    expect(failed).toMatchObject({ id: 'bad.0', exitCode: 3, attempts: 1 });
    expect(plan.logs('bad.0')).toMatchObject({ stderr: 'oops\n', exitCode: 3, attempt: 1 });
    expect(plan.logs('bad.1').stdout).toBe('fine\n');
    expect(caught(() => plan.logs('mid.0')).code).toBe('E_UNKNOWN_TASK');
    await expect(plan.tasks({ stage: 'bda' })).rejects.toThrow(/no stage 'bda'/);
    const { overall } = await plan.status();
    expect(overall).toMatchObject({ total: 5, succeeded: 2, failed: 1, pending: 2 });
    // The CLI reads the same plan.
    expect(cli(['status', plan.dir]).stdout).toContain('overall: 2/5 succeeded (40.0%), 2 pending, 1 failed');
  });

  it('a stop signal ends the run: running tasks are interrupted, no further stage starts', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'long', tasks: [{ cmd: 'sleep 30' }] },
          { name: 'next', after: ['long'], tasks: [{ cmd: 'true' }] },
        ],
      },
      join(dir, 'stop.plan'),
    );
    const stop = new StopSignal();
    const t0 = Date.now();
    setTimeout(() => stop.trigger('SIGTERM'), 500);
    const result = await plan.run({ stop, grace: 1 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, signal: 'SIGTERM' });
    expect(result.stages[0]!.result!.interrupted).toBe(1);
    expect(result.stages[1]!.blockedBy).toEqual(['long']);
  });
});

describe('BatchPlan.runPartition', () => {
  it('refuses a stage whose prerequisites have not all succeeded (E_STAGE_BLOCKED), then runs it', async () => {
    const plan = await createPlan(
      {
        stages: [
          { name: 'first', tasks: [{ cmd: 'true' }, { cmd: 'true' }] },
          { name: 'second', after: ['first'], tasks: [{ cmd: 'true' }] },
        ],
      },
      join(dir, 'partition.plan'),
    );
    await expect(plan.runPartition('second', 1, 0)).rejects.toMatchObject({ code: 'E_STAGE_BLOCKED' });
    await plan.runPartition('first', 2, 0);
    await expect(plan.runPartition('second', 1, 0)).rejects.toMatchObject({ code: 'E_STAGE_BLOCKED' });
    await plan.runPartition('first', 2, 1);
    expect((await plan.runPartition('second', 1, 0)).succeeded).toBe(1);
    expect(openPlan(plan.dir).stages).toEqual([
      { name: 'first', tasks: 2, after: [] },
      { name: 'second', tasks: 1, after: ['first'] },
    ]);
    await expect(plan.runPartition('nosuch', 1, 0)).rejects.toMatchObject({ code: 'E_UNKNOWN_STAGE' });
  });
});

describe('batchplan run (the CLI)', () => {
  it('runs independent stages at the same time: their tasks overlap in the journals', () => {
    const spec = join(dir, 'cli-overlap.yaml');
    writeFileSync(
      spec,
      'stages:\n' +
        '  - {name: east, tasks: [{cmd: sleep 1}]}\n' +
        '  - {name: west, tasks: [{cmd: sleep 1}]}\n' +
        '  - {name: join, after: [east, west], tasks: [{cmd: "true"}]}\n',
    );
    const r = cli(['run', spec, '-o', join(dir, 'cli-overlap.plan')]);
    expect(r.code, r.stderr).toBe(0);
    // The log form of the live view (not a terminal) ends with every stage counted in full.
    expect(r.stderr).toMatch(
      /progress elapsed=\S+ succeeded=3 failed=0 running=0 queued=0 left=0 stage.east=1\/1 stage.west=1\/1 stage.join=1\/1\n/,
    );
    const tasks = JSON.parse(cli(['tasks', join(dir, 'cli-overlap.plan'), '--json']).stdout) as {
      startedAt: string;
      endedAt: string;
    }[];
    const [l, rt, j] = tasks.map((t) => [Date.parse(t.startedAt), Date.parse(t.endedAt)] as const);
    expect(l![0]).toBeLessThan(rt![1]);
    expect(rt![0]).toBeLessThan(l![1]);
    expect(j![0]).toBeGreaterThanOrEqual(Math.max(l![1], rt![1]));
  });
});
