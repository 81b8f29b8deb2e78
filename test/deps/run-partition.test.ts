// run-partition and task-level dependencies, with real processes: a task never starts before every
// task it requires succeeded; a failed prerequisite makes its dependants `blocked` (with the reason),
// not failed; fixing and re-running it unblocks them; a prerequisite running in another
// run-partition is waited for, one that nothing runs is waited for a bounded time; two copies of a
// dependant partition at once run each task once.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-run-');
let n = 0;

/** Plan a spec with `extract` (groups × parts, the command given) and `merge` per group. */
function planOf(extractCmd: string, groups = 3, parts = 2, merge = 'echo merge {{g}}'): string {
  const spec = join(dir, `spec-${++n}.yaml`);
  writeFileSync(
    spec,
    `defaults: {nprocs: 2}
stages:
  - name: extract
    template: ${JSON.stringify(extractCmd)}
    matrix: {g: {range: [0, ${groups}]}, p: {range: [0, ${parts}]}}
  - name: merge
    template: ${JSON.stringify(merge)}
    matrix: {g: {range: [0, ${groups}]}}
    requires: [{stage: extract, match: {g: "{{g}}"}}]
`,
  );
  const plan = join(dir, `p${n}.plan`);
  const r = cli(['plan', spec, '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return plan;
}

interface Row {
  id: string;
  state: string;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  stderrTail?: string[];
}

function tasks(plan: string, ...args: string[]): Row[] {
  const r = cli(['tasks', plan, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

/** Start records per task id, over every journal of stage k. */
function starts(plan: string, k: number): Map<number, number> {
  const d = join(plan, 'status', `stage-${k}`);
  const out = new Map<number, number>();
  for (const f of readdirSync(d).filter((x) => x.endsWith('.jsonl')))
    for (const line of readFileSync(join(d, f), 'utf8').split('\n').slice(1)) {
      if (!line) continue;
      const rec = JSON.parse(line) as { k: string; i: number };
      if (rec.k === 's') out.set(rec.i, (out.get(rec.i) ?? 0) + 1);
    }
  return out;
}

describe('a failed prerequisite', () => {
  const flag = join(dir, 'fixed');
  // Group 1's extracts fail until the flag file exists.
  const plan = planOf(`test {{g}} != 1 || test -e ${flag}`);

  it('blocks only the dependants that need it: blocked, not failed, with the reason', () => {
    expect(cli(['run-partition', plan, 'extract', '1', '0']).code).toBe(1);
    const r = cli(['run-partition', plan, 'merge', '1', '0', '--json']);
    expect(r.code, 'blocked tasks make the partition fail').toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 2, failed: 0, blocked: 1 });
    const rows = tasks(plan, '--stage', 'merge', '--tail', '1');
    expect(rows.map((x) => x.state)).toEqual(['succeeded', 'blocked', 'succeeded']);
    expect(rows[1]!.attempts).toBe(0);
    expect(rows[1]!.stderrTail).toEqual([
      'batchplan: blocked: requires extract.2 (stage extract), which is failed',
    ]);
    const status = cli(['status', plan]);
    expect(status.stdout).toMatch(/merge\s+3\s+0\s+0\s+0\s+0\s+2\s+0\s+1/);
    expect(status.stdout).toContain('1 blocked');
    expect(tasks(plan, '--state', 'blocked').map((x) => x.id)).toEqual(['merge.1']);
    const json = JSON.parse(cli(['status', plan, '--json']).stdout);
    expect(json.overall.blocked).toBe(1);
  });

  it('is blocked again on a second run while the prerequisite is still failed', () => {
    expect(cli(['run-partition', plan, 'merge', '1', '0']).code).toBe(1);
    expect(tasks(plan, '--state', 'blocked').map((x) => x.id)).toEqual(['merge.1']);
  });

  it('fixing and retrying the prerequisite unblocks its dependants', () => {
    writeFileSync(flag, '');
    const retry = cli(['retry', plan, '--stage', 'extract']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(cli(['run-partition', plan, 'extract', '1', '0']).code).toBe(0);
    expect(cli(['run-partition', plan, 'merge', '1', '0']).code).toBe(0);
    expect(tasks(plan, '--stage', 'merge').map((x) => x.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // merge.1 started only after both extracts of group 1 ended.
    const all = tasks(plan);
    const end = Math.max(
      ...['extract.2', 'extract.3'].map((id) => Date.parse(all.find((x) => x.id === id)!.endedAt!)),
    );
    expect(Date.parse(all.find((x) => x.id === 'merge.1')!.startedAt!)).toBeGreaterThanOrEqual(end);
  });

  it('retry --state blocked resets blocked tasks (and nothing else)', () => {
    const p = planOf('test {{g}} != 0');
    cli(['run-partition', p, 'extract', '1', '0']);
    cli(['run-partition', p, 'merge', '1', '0']);
    const r = cli(['retry', p, '--state', 'blocked', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tasks: 1, stages: [{ stage: 'merge', ids: ['merge.0'] }] });
    expect(tasks(p, '--stage', 'merge').map((x) => x.state)).toEqual(['pending', 'succeeded', 'succeeded']);
    expect(tasks(p, '--state', 'failed').map((x) => x.id)).toEqual(['extract.0', 'extract.1']);
  });
});

describe('a prerequisite running elsewhere', () => {
  it('is waited for: each merge starts when its group is done, before the slowest group ends', async () => {
    // Group g's extracts sleep 0.4·g² s: group 2 ends well after groups 0 and 1.
    const plan = planOf('sleep $(( {{g}} * {{g}} * 4 / 10 )).$(( {{g}} * {{g}} * 4 % 10 ))', 3, 2);
    const extract = cliAsync(['run-partition', plan, 'extract', '1', '0', '--nprocs', '6']);
    await new Promise((r) => setTimeout(r, 300));
    const merge = cli(['run-partition', plan, 'merge', '1', '0', '--json']);
    expect(merge.code, merge.stderr).toBe(0);
    expect((await extract.done).code).toBe(0);
    const all = tasks(plan);
    const at = (id: string, k: 'startedAt' | 'endedAt') => Date.parse(all.find((x) => x.id === id)![k]!);
    for (let g = 0; g < 3; g++) {
      const groupEnd = Math.max(at(`extract.${2 * g}`, 'endedAt'), at(`extract.${2 * g + 1}`, 'endedAt'));
      expect(at(`merge.${g}`, 'startedAt'), `merge.${g} after its group`).toBeGreaterThanOrEqual(groupEnd);
    }
    expect(at('merge.0', 'startedAt'), 'merge.0 before the last group ends').toBeLessThan(
      at('extract.5', 'endedAt'),
    );
  });

  it('one that nothing runs is waited for a bounded time, then blocked', () => {
    const plan = planOf('true', 1, 1);
    const t0 = Date.now();
    const r = cli(['run-partition', plan, 'merge', '1', '0', '--wait-prerequisites', '2s']);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    const [row] = tasks(plan, '--stage', 'merge', '--tail', '1');
    expect(row!.state).toBe('blocked');
    expect(row!.stderrTail![0]).toMatch(
      /^batchplan: blocked: requires extract\.0 \(stage extract\), which is pending and not running anywhere after waiting 2 s$/,
    );
  });

  it('two copies of a dependant partition at once run each task once', async () => {
    const plan = planOf('sleep 1', 4, 2);
    const extract = cliAsync(['run-partition', plan, 'extract', '1', '0', '--nprocs', '8']);
    await new Promise((r) => setTimeout(r, 200));
    const a = cliAsync(['run-partition', plan, 'merge', '1', '0']);
    const b = cliAsync(['run-partition', plan, 'merge', '1', '0']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect((await extract.done).code).toBe(0);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(tasks(plan, '--stage', 'merge').every((x) => x.state === 'succeeded')).toBe(true);
    // A copy may withdraw from a task the other took (an interrupted start record), but no task
    // ran twice: every merge has one succeeded attempt.
    const rows = readdirSync(join(plan, 'status', 'stage-1'))
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) =>
        readFileSync(join(plan, 'status', 'stage-1', f), 'utf8')
          .split('\n')
          .slice(1),
      )
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { k: string; i: number; st?: string });
    for (let i = 0; i < 4; i++)
      expect(
        rows.filter((x) => x.k === 'e' && x.i === i && x.st === 'succeeded'),
        `merge.${i}`,
      ).toHaveLength(1);
    expect(starts(plan, 1).size).toBe(4);
  });
});

describe('an urgent task', () => {
  it('starts before any other task of its stage, whichever partition starts first', async () => {
    const spec = join(dir, 'urgent.yaml');
    writeFileSync(
      spec,
      `stages:
  - name: s
    template: "true {{k}}"
    matrix: {k: {range: [0, 6]}}
    priority: "{{#if (eq k 5)}}9{{/if}}"
`,
    );
    const plan = join(dir, 'urgent.plan');
    expect(cli(['plan', spec, '-o', plan]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8')).stages[0].urgent).toBe(1);
    // Partition 1 (without the urgent task) is started first, partition 0 a second later.
    const late = cliAsync(['run-partition', plan, 's', '2', '1']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(cli(['run-partition', plan, 's', '2', '0']).code).toBe(0);
    expect((await late.done).code).toBe(0);
    const all = tasks(plan);
    const urgent = Date.parse(all.find((x) => x.id === 's.5')!.startedAt!);
    for (const x of all) expect(Date.parse(x.startedAt!), x.id).toBeGreaterThanOrEqual(urgent);
  });
});
