// batchplan add: new stages as a new plan generation. What is there never changes (plan.json's
// entries, task files, journals), partitions running meanwhile finish as if nothing happened, bad
// input writes nothing, and an add killed at any moment leaves the old plan or the whole new one.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';
import { snapshot } from './snapshot.js';

const BASE = `
stages:
  - name: extract
    template: 'echo extract {{n}}'
    matrix: {n: {range: [0, 6]}}
`;
const MORE = `
defaults: {retries: 1}
stages:
  - name: report
    after: [merge]
    template: 'echo report {{g}}'
    params: [{g: a}, {g: b}]
  - name: merge
    after: [extract]
    tasks:
      - {id: the-merge, cmd: 'echo merged'}
`;

function setUp(base = BASE) {
  const dir = scratch();
  writeFileSync(join(dir, 'base.yaml'), base);
  writeFileSync(join(dir, 'more.yaml'), MORE);
  const plan = join(dir, 'p.plan');
  const r = cli(['plan', join(dir, 'base.yaml'), '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, plan };
}

const planJson = (plan: string) => JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
const status = (plan: string) =>
  JSON.parse(cli(['status', plan, '--json']).stdout).stages as {
    name: string;
    pending: number;
    succeeded: number;
  }[];

describe('add', () => {
  it('appends stages as a new generation; what was there is byte for byte the same', () => {
    const { dir, plan } = setUp();
    expect(cli(['run', plan]).code).toBe(0);
    const before = snapshot(plan);
    const oldStages = planJson(plan).stages;

    const r = cli(['add', plan, join(dir, 'more.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      plan,
      generation: 1,
      totalTasks: 9,
      stages: [
        { name: 'merge', tasks: 1, after: ['extract'] },
        { name: 'report', tasks: 2, after: ['merge'] },
      ],
    });
    const after = snapshot(plan);
    for (const [f, bytes] of Object.entries(before)) if (f !== 'plan.json') expect(after[f], f).toBe(bytes);
    const file = planJson(plan);
    expect(file.version).toBe(3);
    expect(file.stages.slice(0, 1)).toEqual(oldStages);
    expect(file.stages[1]).toMatchObject({ name: 'merge', generation: 1, firstTask: 6, retries: 1 });
    expect(file.generations).toMatchObject([{ generation: 1, firstTask: 6, tasks: 3 }]);
    expect(Object.keys(after).filter((f) => !(f in before))).toEqual(
      expect.arrayContaining(['tasks.1.jsonl', 'tasks.1.idx']),
    );

    // Only the new stages are left; run runs them; ids, logs and retry reach them.
    expect(status(plan).map((s) => [s.name, s.pending])).toEqual([
      ['extract', 0],
      ['merge', 1],
      ['report', 2],
    ]);
    expect(cli(['run', plan]).code).toBe(0);
    expect(status(plan).map((s) => s.succeeded)).toEqual([6, 1, 2]);
    expect(cli(['logs', plan, 'report.1', '--stdout']).stdout).toBe('report b\n');
    expect(cli(['rerun', plan, '--force', '--id', 'the-merge']).code).toBe(0);
    expect(status(plan)[1]!.pending).toBe(1);

    // A second generation may depend on the first.
    writeFileSync(
      join(dir, 'last.yaml'),
      'stages:\n  - {name: last, after: [report], tasks: [{cmd: "echo last"}]}\n',
    );
    const second = cli(['add', plan, join(dir, 'last.yaml')]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('added 1 stage, 1 task (generation 2)');
    expect(cli(['run', plan]).code).toBe(0);
    expect(cli(['logs', plan, 'last.0', '--stdout']).stdout).toBe('last\n');
  });

  it('bad input is a clear error that writes nothing', () => {
    const { dir, plan } = setUp();
    const cases: [string, string, number, RegExp][] = [
      [
        'exists',
        'stages:\n  - {name: extract, tasks: [{cmd: "true"}]}\n',
        4,
        /stage 'extract' is already in the plan/,
      ],
      [
        'unknown',
        'stages:\n  - {name: m, after: [nope], tasks: [{cmd: "true"}]}\n',
        4,
        /unknown stage 'nope' \(stages are: extract, m\)/,
      ],
      [
        'id',
        'stages:\n  - {name: m, tasks: [{id: extract.3, cmd: "true"}]}\n',
        4,
        /task id 'extract.3' of stage 'm' is already a task of the plan/,
      ],
      [
        'cycle',
        'stages:\n  - {name: x, after: [y], tasks: [{cmd: "true"}]}\n  - {name: y, after: [x], tasks: [{cmd: "true"}]}\n',
        5,
        /cycle: x -> y -> x/,
      ],
      ['schema', 'stages:\n  - {name: m, max_fails: 0, tasks: [{cmd: "true"}]}\n', 4, /max_fails/],
    ];
    const before = snapshot(plan);
    for (const [name, yaml, code, message] of cases) {
      writeFileSync(join(dir, `${name}.yaml`), yaml);
      const r = cli(['add', plan, join(dir, `${name}.yaml`)]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(code);
      expect(r.stderr, name).toMatch(message);
      expect(snapshot(plan), name).toEqual(before);
    }
    const none = cli(['add', join(dir, 'none.plan'), join(dir, 'more.yaml')]);
    expect(none.code).toBe(7);
  });

  it('a partition running during the add is unaffected', async () => {
    const { dir, plan } = setUp(`
stages:
  - name: extract
    nprocs: 2
    template: 'sleep 0.3; echo extract {{n}}'
    matrix: {n: {range: [0, 8]}}
`);
    const running = cliAsync(['run-partition', plan, 'extract', '1', '0']);
    await new Promise((r) => setTimeout(r, 400));
    const r = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const done = await running.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('8 succeeded');
    expect(status(plan).map((s) => s.succeeded)).toEqual([8, 0, 0]);
  });

  it('an add killed at any moment leaves the old plan or the whole new one; the next add cleans up', async () => {
    const { dir, plan } = setUp();
    // Big enough that the kill lands while its tasks are being written.
    writeFileSync(
      join(dir, 'big.yaml'),
      "stages:\n  - name: big\n    after: [extract]\n    template: 'echo {{a}} {{b}}'\n    matrix: {a: {range: [0, 400]}, b: {range: [0, 500]}}\n",
    );
    const original = readFileSync(join(plan, 'plan.json'), 'utf8');
    const outcomes = new Set<string>();
    const seen = (what: RegExp) => readdirSync(plan).some((f) => what.test(f));
    // Killed when it has taken the lock, while it writes its hidden directory, and at fixed times.
    const rounds: [RegExp | number, NodeJS.Signals][] = [
      [/^\.add\.lock$/, 'SIGKILL'],
      [/^\.\.?add-/, 'SIGKILL'],
      [/^\.\.?add-/, 'SIGTERM'],
      [/^\.\.?add-/, 'SIGINT'],
      [1200, 'SIGKILL'],
      [1800, 'SIGKILL'],
    ];
    for (const [when, signal] of rounds) {
      const add = cliAsync(['add', plan, join(dir, 'big.yaml')]);
      if (typeof when === 'number') await new Promise((r) => setTimeout(r, when));
      else
        for (let t = 0; !seen(when); t++) {
          expect(t, `${when} appears`).toBeLessThan(1000);
          await new Promise((r) => setTimeout(r, 5));
        }
      add.child.kill(signal);
      const r = await add.done;
      const stages = status(plan);
      if (r.code === 0) {
        // It finished first: the whole generation is there; take it away for the next round.
        outcomes.add('added');
        expect(stages.map((s) => s.name)).toEqual(['extract', 'big']);
        expect(stages[1]).toMatchObject({ pending: 200_000 });
        writeFileSync(join(plan, 'plan.json'), original);
      } else {
        outcomes.add(`killed ${String(when)}`);
        expect(readFileSync(join(plan, 'plan.json'), 'utf8')).toBe(original);
        expect(stages.map((s) => s.name)).toEqual(['extract']);
      }
    }
    expect(outcomes).toContain('killed /^\\.\\.?add-/');
    // The next add removes what the killed ones left and adds.
    const r = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(plan).sort()).toEqual([
      'plan.json',
      'tasks.1.idx',
      'tasks.1.jsonl',
      'tasks.idx',
      'tasks.jsonl',
      'vars',
    ]);
  }, 120_000);

  it('two adds at once: one waits for nothing and is refused; a dead add’s lock is taken over', () => {
    const { dir, plan } = setUp();
    const before = snapshot(plan);
    // A live process holds the lock: this test's own.
    writeFileSync(join(plan, '.add.lock'), `${hostname()} ${process.pid}\n`);
    const r = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/another batchplan add is adding to plan/);
    // A lock of a process that is gone is stale.
    const dead = spawnSync('true').pid;
    writeFileSync(join(plan, '.add.lock'), `${hostname()} ${dead}\n`);
    expect(Object.keys(snapshot(plan)).sort()).toEqual([...Object.keys(before), '.add.lock'].sort());
    const ok = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(plan)).not.toContain('.add.lock');
  });
});
