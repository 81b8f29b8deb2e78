// retry and rerun end to end: a failed task is fixed and retried, and only it runs again; rerun
// --force runs a succeeded task again; journals are never rewritten; a retry killed at any moment
// resets all of its selection or none of it.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const SPEC = `
stages:
  - name: a
    template: 'echo {{n}} >> "$COUNT_DIR/a{{n}}"; test {{n}} != 2 || test -e "$COUNT_DIR/fixed"'
    matrix:
      n: {range: [0, 4]}
  - name: b
    tasks:
      - {id: b.ok, cmd: 'echo b >> "$COUNT_DIR/b"'}
      - {id: b.bad, cmd: 'test -e "$COUNT_DIR/fixed"'}
`;

function setUp() {
  const dir = scratch();
  writeFileSync(join(dir, 'spec.yaml'), SPEC);
  const env = { COUNT_DIR: dir };
  const plan = join(dir, 'p.plan');
  expect(cli(['run', join(dir, 'spec.yaml'), '-o', plan], { env }).code).toBe(1);
  return { dir, plan, env };
}

const runs = (dir: string, f: string) =>
  readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
const journals = (plan: string) =>
  ['stage-0', 'stage-1'].flatMap((s) =>
    readdirSync(join(plan, 'status', s))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => ({ f, text: readFileSync(join(plan, 'status', s, f), 'utf8') })),
  );
const status = (plan: string) =>
  JSON.parse(cli(['status', plan, '--json']).stdout).stages as {
    name: string;
    pending: number;
    failed: number;
    succeeded: number;
  }[];

describe('retry and rerun', () => {
  it('retry after a fix runs only the failed tasks, and leaves every journal as it was', () => {
    const { dir, plan, env } = setUp();
    expect(status(plan).map((s) => s.failed)).toEqual([1, 1]);
    const before = journals(plan);
    writeFileSync(join(dir, 'fixed'), '');
    const r = cli(['retry', plan, '--stage', 'a', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ verb: 'retry', tasks: 1, stages: [{ stage: 'a', tasks: 1, ids: ['a.2'] }] });
    expect(existsSync(out.marker)).toBe(true);
    expect(journals(plan)).toEqual(before);
    expect(status(plan).map((s) => [s.pending, s.failed])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const tasks = JSON.parse(cli(['tasks', plan, '--stage', 'a', '--json']).stdout);
    expect(tasks[2]).toMatchObject({ id: 'a.2', state: 'pending', attempts: 1 });

    // Only what did not succeed runs: a.2 (reset) and b.bad (failed; run takes up failures anyway).
    expect(cli(['run', plan], { env }).code).toBe(0);
    expect([0, 1, 2, 3].map((n) => runs(dir, `a${n}`))).toEqual([1, 1, 2, 1]);
    expect(runs(dir, 'b')).toBe(1);
    expect(status(plan).map((s) => [s.succeeded, s.failed])).toEqual([
      [4, 0],
      [2, 0],
    ]);
    const after = JSON.parse(cli(['tasks', plan, '--stage', 'a', '--json']).stdout);
    expect(after[2]).toMatchObject({ state: 'succeeded', attempts: 2 });
  });

  it('selects by --id and --state; no match and wrong states are errors that write nothing', () => {
    const { plan } = setUp();
    const none = cli(['retry', plan, '--stage', 'b', '--state', 'lost']);
    expect(none.code).toBe(20);
    expect(none.stderr).toMatch(/E_NO_MATCH.*no task .* is lost in stage b; nothing was reset/);
    const done = cli(['retry', plan, '--id', 'b.ok']);
    expect(done.code).toBe(20);
    expect(done.stderr).toMatch(/task 'b.ok' is succeeded.*\n.*rerun .* --force --id b.ok/);
    expect(cli(['retry', plan, '--state', 'succeeded']).code).toBe(2);
    expect(cli(['retry', plan, '--stage', 'nope']).code).toBe(11);
    expect(cli(['retry', plan, '--id', 'nope']).code).toBe(13);
    expect(cli(['rerun', plan, '--id', 'b.ok']).stderr).toMatch(/add --force/);
    expect(existsSync(join(plan, 'status', 'resets'))).toBe(false);
    const r = cli(['retry', plan, '--id', 'b.bad']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/b: 1 task reset \(b.bad\)/);
    expect(status(plan).map((s) => s.pending)).toEqual([0, 1]);
  });

  it('rerun --force runs a succeeded task again', () => {
    const { dir, plan, env } = setUp();
    writeFileSync(join(dir, 'fixed'), '');
    expect(cli(['retry', plan]).code).toBe(0);
    expect(cli(['run', plan], { env }).code).toBe(0);
    expect(runs(dir, 'b')).toBe(1);
    const r = cli(['rerun', plan, '--force', '--id', 'b.ok', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ verb: 'rerun', tasks: 1 });
    expect(status(plan)[1]).toMatchObject({ pending: 1, succeeded: 1 });
    expect(cli(['run', plan], { env }).code).toBe(0);
    expect(runs(dir, 'b')).toBe(2);
    expect([0, 1, 2, 3].map((n) => runs(dir, `a${n}`))).toEqual([1, 1, 2, 1]);
    const whole = JSON.parse(cli(['rerun', plan, '--force', '--json']).stdout);
    expect(whole.tasks).toBe(6);
  });

  it('a retry killed at any moment resets both stages or neither, and the next retry works', async () => {
    const { plan } = setUp();
    let killed = 0;
    for (const delay of [0, 40, 80, 120, 160, 200, 260, 320, 400, 500]) {
      const { child, done } = cliAsync(['retry', plan]);
      setTimeout(() => child.kill('SIGKILL'), delay);
      const r = await done;
      const pending = status(plan).map((s) => s.pending);
      if (r.code !== 0) expect(r.signal).toBe('SIGKILL');
      // All or nothing: killed after the rename, the whole selection is reset.
      expect([
        [0, 0],
        [1, 1],
      ]).toContainEqual(pending);
      if (pending[0] === 1) break; // the markers that would follow add nothing
      killed++;
    }
    expect(killed).toBeGreaterThan(0);
    const dir = join(plan, 'status', 'resets');
    // Whatever a kill left is hidden temp files, never a marker that readers would half-apply.
    if (existsSync(dir))
      for (const f of readdirSync(dir))
        if (!f.startsWith('.')) expect(JSON.parse(readFileSync(join(dir, f), 'utf8')).stages).toBeTruthy();
    if (status(plan)[0]!.pending === 0) expect(cli(['retry', plan]).code).toBe(0);
    expect(status(plan).map((s) => s.pending)).toEqual([1, 1]);
    expect(statSync(plan).isDirectory()).toBe(true);
  });
});
