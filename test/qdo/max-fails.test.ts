// --max-fails K / max_fails: a stage launches no more tasks once K of its tasks have failed, counted
// over all its partitions; failed tasks may run again (they cannot raise the count), the others wait
// until the count is under K again (a fix, or `retry`).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

interface Counts {
  pending: number;
  failed: number;
  succeeded: number;
}
const stage = (plan: string, k = 0): Counts => JSON.parse(cli(['status', plan, '--json']).stdout).stages[k];

function planOf(spec: string): { dir: string; plan: string } {
  const dir = scratch();
  writeFileSync(join(dir, 'spec.yaml'), spec);
  const plan = join(dir, 'p.plan');
  const r = cli(['plan', join(dir, 'spec.yaml'), '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, plan };
}

const FAILING = (extra = '') => `
stages:
  - name: a
    nprocs: 1
    max_fails: 3
    ${extra}
    template: 'echo {{n}} >> "$DIR/ran"; test -e "$DIR/fixed"'
    matrix:
      n: {range: [0, 20]}
`;

const ran = (dir: string) => readFileSync(join(dir, 'ran'), 'utf8').split('\n').filter(Boolean).map(Number);

describe('max-fails', () => {
  it('a stage stops launching after K failed tasks; running again retries only those until they pass', () => {
    const { dir, plan } = planOf(FAILING());
    const env = { DIR: dir };
    const r = cli(['run-partition', plan, 'a', '1', '0', '--json'], { env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ failed: 3, succeeded: 0, notStarted: 17, maxFails: 3 });
    expect(ran(dir)).toEqual([0, 1, 2]);
    expect(stage(plan)).toMatchObject({ failed: 3, pending: 17 });

    // Not fixed: only the three failed ones run again (they cannot raise the count); no new one.
    const again = cli(['run-partition', plan, 'a', '1', '0'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('17 not started: the stage has reached --max-fails 3 failed tasks');
    expect(ran(dir)).toEqual([0, 1, 2, 0, 1, 2]);

    // Fixed: the failed ones pass, the count falls under K, and the rest runs.
    writeFileSync(join(dir, 'fixed'), '');
    expect(cli(['run', plan], { env }).code).toBe(0);
    expect(
      ran(dir)
        .slice(6)
        .sort((x, y) => x - y),
    ).toEqual([...Array(20).keys()]);
    expect(stage(plan)).toMatchObject({ succeeded: 20, failed: 0 });
  });

  it('counts over the partitions of the stage: a later partition starts none once K failed elsewhere', () => {
    const { dir, plan } = planOf(FAILING());
    const env = { DIR: dir };
    const p0 = JSON.parse(cli(['run-partition', plan, 'a', '2', '0', '--json'], { env }).stdout);
    expect(p0).toMatchObject({ failed: 3, notStarted: 7 });
    const p1 = JSON.parse(
      cli(['run-partition', plan, 'a', '2', '1', '--json', '--nprocs', '1'], { env }).stdout,
    );
    expect(p1).toMatchObject({ failed: 0, succeeded: 0, notStarted: 10 });
    expect(ran(dir)).toEqual([0, 1, 2]);
    // `retry` resets the failed tasks: the count is 0 again and partition 1 runs (and stops at K).
    expect(cli(['retry', plan]).code).toBe(0);
    const p1b = JSON.parse(
      cli(['run-partition', plan, 'a', '2', '1', '--json', '--nprocs', '1'], { env }).stdout,
    );
    expect(p1b).toMatchObject({ failed: 3, notStarted: 7 });
    expect(ran(dir).slice(3)).toEqual([10, 11, 12]);
  });

  it('partitions running at the same time see each other’s failures', async () => {
    const { dir, plan } = planOf(`
stages:
  - name: a
    nprocs: 1
    max_fails: 2
    template: 'sleep 0.4; echo {{n}} >> "$DIR/ran"; exit 1'
    matrix:
      n: {range: [0, 40]}
`);
    const env = { DIR: dir };
    const runs = [0, 1, 2, 3].map((i) =>
      cliAsync(['run-partition', plan, 'a', '4', String(i), '--json'], { env }),
    );
    const results = (await Promise.all(runs.map((r) => r.done))).map((r) => JSON.parse(r.stdout));
    const failed = results.reduce((n, r) => n + r.failed, 0);
    // When the second failure lands, each other partition may have one task running (nprocs 1),
    // which may fail too: K + 3 at most.
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(failed).toBeLessThanOrEqual(5);
    expect(results.reduce((n, r) => n + r.notStarted, 0)).toBe(40 - failed);
    expect(stage(plan)).toMatchObject({ failed, pending: 40 - failed });
  });

  it('a failure with a retry left is not counted until the retries are used up (rt in the journal)', () => {
    const { dir, plan } = planOf(FAILING('retries: 2\n    backoff: 0.01'));
    const r = cli(['run-partition', plan, 'a', '1', '0', '--json'], { env: { DIR: dir } });
    expect(JSON.parse(r.stdout)).toMatchObject({ failed: 3, notStarted: 17 });
    expect(ran(dir)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const sdir = join(plan, 'status', 'stage-0');
    const ends = readdirSync(sdir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(sdir, f), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l))
      .filter((rec) => rec.k === 'e');
    expect(ends.map((e) => e.rt ?? 0)).toEqual([1, 1, 0, 1, 1, 0, 1, 1, 0]);
  });

  it('a failure whose retry never comes (its run-partition was killed) counts', async () => {
    // Tasks 0-9 (partition 0 of 2) retry after an hour; tasks 10-19 do not retry.
    const tasks = [...Array(20).keys()].map(
      (n) => `      - {cmd: 'test -e "$DIR/fixed"'${n < 10 ? ', retries: 3, backoff: 1h' : ''}}`,
    );
    const { dir, plan } = planOf(`stages:\n  - name: a\n    max_fails: 3\n    tasks:\n${tasks.join('\n')}\n`);
    const env = { DIR: dir };
    const first = cliAsync(['run-partition', plan, 'a', '2', '0', '--nprocs', '3'], { env });
    const sdir = join(plan, 'status', 'stage-0');
    const retrying = () =>
      (existsSync(sdir) ? readdirSync(sdir) : [])
        .filter((f) => f.endsWith('.jsonl'))
        .flatMap((f) => readFileSync(join(sdir, f), 'utf8').split('\n'))
        .filter((l) => l.includes('"rt":1')).length;
    for (let t = 0; retrying() < 3; t++) {
      expect(t, 'three failures waiting for their retry').toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Alive and waiting to retry: not counted, so partition 1 runs until its own 3 failures.
    const p1 = JSON.parse(
      cli(['run-partition', plan, 'a', '2', '1', '--json', '--nprocs', '1'], { env }).stdout,
    );
    expect(p1).toMatchObject({ failed: 3, notStarted: 7 });
    const reset = cli(['retry', plan, '--id', 'a.10', '--id', 'a.11', '--id', 'a.12']);
    expect(reset.code, reset.stderr).toBe(0);
    first.child.kill('SIGKILL');
    await first.done;
    // Killed: its three failures are final now, and with K = 3 partition 1 starts nothing.
    const again = JSON.parse(
      cli(['run-partition', plan, 'a', '2', '1', '--json', '--nprocs', '1'], { env }).stdout,
    );
    expect(again).toMatchObject({ failed: 0, notStarted: 10 });
  });

  it('--max-fails on run and run-partition overrides the spec; 0 and bad values are refused', () => {
    const { dir, plan } = planOf(FAILING());
    const env = { DIR: dir };
    const r = cli(['run', plan, '--max-fails', '1', '--json'], { env });
    expect(r.code).toBe(1);
    expect(ran(dir)).toEqual([0]);
    for (const bad of ['0', '-1', 'x']) {
      const b = cli(['run-partition', plan, 'a', '1', '0', '--max-fails', bad], { env });
      expect(b.code, bad).toBe(2);
      expect(b.stderr).toContain('--max-fails must be a positive integer');
    }
    const spec = join(dir, 'zero.yaml');
    writeFileSync(spec, FAILING().replace('max_fails: 3', 'max_fails: 0'));
    const z = cli(['plan', spec, '-o', join(dir, 'zero.plan')]);
    expect(z.code).toBe(4);
    expect(z.stderr).toContain('max_fails');
  });
});
