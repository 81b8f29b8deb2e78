// Partitions per stage through `batchplan add` and the commands that need N: added stages keep their
// own counts (plan.json, generate-script, run-partition), status and tasks report them as any stage;
// generate-script and submit need no N when every stage sets a count, and say which stage sets
// none when one does not; bad counts in a spec or an add are refused with nothing written; a Saturn
// batch file's default batch (3 × nprocs) gives the partitions tasks_per_partition would.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';
import { snapshot } from '../qdo/snapshot.js';
import { planJson, specs } from './specs.js';

const { dir, planOf, write } = specs('batchplan-partitions-add-');
const counts = (r: { stdout: string }) =>
  JSON.parse(r.stdout).stages.map((s: { name: string; partitions: number }) => [s.name, s.partitions]);

const BASE = `
stages:
  - name: extract
    template: "echo extract {{i}} >> {{q log}}"
    matrix: {i: {range: [0, 6]}, log: [LOG]}
`;
const MORE = `
stages:
  - name: merge
    after: [extract]
    partitions: 3
    template: "echo merge {{i}} >> {{q log}}"
    matrix: {i: {range: [0, 6]}, log: [LOG]}
  - name: report
    after: [merge]
    tasks_per_partition: 2
    template: "echo report {{i}} >> {{q log}}"
    matrix: {i: {range: [0, 5]}, log: [LOG]}
`;

describe('batchplan add of stages that set their own counts', () => {
  it('keeps them; the script splits them by them; status and tasks report every task once', () => {
    const log = join(dir, 'add.log');
    const plan = planOf(BASE.replace('LOG', log));
    const r = cli(['add', plan, write(MORE.replaceAll('LOG', log))]);
    expect(r.code, r.stderr).toBe(0);
    expect(planJson(plan).stages.map((s: { partitions?: number }) => s.partitions)).toEqual([
      undefined,
      3,
      3,
    ]);

    const script = join(dir, 'add.sh');
    const g = cli(['generate-script', plan, '2', '--runner', 'sequential', '-o', script, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(counts(g)).toEqual([
      ['extract', 2],
      ['merge', 3],
      ['report', 3],
    ]);
    const run = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const logged = readFileSync(log, 'utf8').trim().split('\n').sort();
    expect(logged).toEqual(
      [
        ...[0, 1, 2, 3, 4, 5].map((i) => `extract ${i}`),
        ...[0, 1, 2, 3, 4, 5].map((i) => `merge ${i}`),
        ...[0, 1, 2, 3, 4].map((i) => `report ${i}`),
      ].sort(),
    );
    // The added stages' journals are their own partitions' slices.
    const slices = (k: number) =>
      readdirSync(join(plan, 'status', `stage-${k}`))
        .filter((f) => f.endsWith('.jsonl'))
        .map((f) => f.split('.')[0])
        .sort();
    expect(slices(1)).toEqual(['0-2', '2-4', '4-6']);
    expect(slices(2)).toEqual(['0-2', '2-4', '4-5']);
    const st = JSON.parse(cli(['status', plan, '--json']).stdout).stages;
    expect(
      st.map((s: { name: string; total: number; succeeded: number }) => [s.name, s.total, s.succeeded]),
    ).toEqual([
      ['extract', 6, 6],
      ['merge', 6, 6],
      ['report', 5, 5],
    ]);
    const tasks = JSON.parse(cli(['tasks', plan, '--stage', 'report', '--json']).stdout);
    expect(tasks.map((t: { attempts: number }) => t.attempts)).toEqual([1, 1, 1, 1, 1]);
  });

  it.each([
    [
      'partitions: 0',
      /stages\[0\]\.partitions\): stage 'merge': `partitions` must be a whole number of partitions, at least 1 \(got 0\)/,
    ],
    [
      'tasks_per_partition: -2',
      /stage 'merge': `tasks_per_partition` must be a whole number of tasks per partition, at least 1 \(got -2\)/,
    ],
    [
      'partitions: 2\n    tasks_per_partition: 2',
      /stage 'merge': give `partitions` or `tasks_per_partition`, not both/,
    ],
  ])('add refuses %s, naming the stage; the plan is unchanged', (fields, message) => {
    const plan = planOf(BASE.replace('LOG', join(dir, 'unused.log')));
    const before = snapshot(plan);
    const more = `stages:\n  - name: merge\n    after: [extract]\n    ${fields}\n    tasks: [{cmd: "true"}]\n`;
    const r = cli(['add', plan, write(more)]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(snapshot(plan)).toEqual(before);
  });
});

describe('N when stages set their own counts', () => {
  const OWN = 'stages:\n  - {name: a, partitions: 3, template: "echo {{i}}", matrix: {i: {range: [0, 9]}}}\n';
  const MIXED = OWN + '  - {name: b, after: [a], template: "echo {{i}}", matrix: {i: {range: [0, 4]}}}\n';

  it('every stage sets one: generate-script and submit need no N', () => {
    const plan = planOf(OWN);
    const g = cli(['generate-script', plan, '--runner', 'sequential', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(counts(g)).toEqual([['a', 3]]);
    // submit too (nothing runs: --dry-run prints what it would submit).
    const s = cli(['submit', plan, '--runner', 'slurm', '--dry-run']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('sbatch --parsable --array=0-2 ');
  });

  it('one stage sets none: a usage error naming it, nothing written', () => {
    const plan = planOf(MIXED);
    const out = join(dir, 'mixed.sh');
    for (const args of [
      ['generate-script', plan, '--runner', 'sequential', '-o', out],
      ['submit', plan, '--runner', 'slurm'],
    ]) {
      const r = cli(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toContain(
        "stage 'b' sets no partition count of its own (partitions or tasks_per_partition): give N (partitions per stage), or --batch-size B, or --nprocs P (then B = 3 × P)",
      );
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(plan, 'submissions'))).toBe(false);
    // With N, b takes it and a keeps its own.
    expect(counts(cli(['generate-script', plan, '2', '--runner', 'sequential', '--json']))).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });
});

describe('Saturn batch files and tasks_per_partition', () => {
  it('the default batch of 3 × nprocs gives the partitions tasks_per_partition: 3 × nprocs would; N still wins', () => {
    const runs = Array.from({ length: 14 }, (_, i) => ({ cmd: `echo ${i}` }));
    const batch = join(dir, 'batch.json');
    writeFileSync(batch, JSON.stringify({ nprocs: 2, runs }));
    const saturn = join(dir, 'batch.plan');
    expect(cli(['plan', batch, '-o', saturn]).code).toBe(0);
    const spec = planOf(
      `stages:\n  - {name: batch, tasks_per_partition: 6, tasks: ${JSON.stringify(runs)}}\n`,
    );
    const fromBatch = cli(['generate-script', saturn, '--runner', 'sequential', '--json']);
    const fromSpec = cli(['generate-script', spec, '--runner', 'sequential', '--json']);
    expect(counts(fromBatch)).toEqual([['batch', 3]]); // ⌈14 / 6⌉
    expect(counts(fromSpec)).toEqual(counts(fromBatch));
    // The batch file's plan keeps no count of its own, so that an explicit N is what it says.
    expect(planJson(saturn).stages[0].partitions).toBeUndefined();
    expect(counts(cli(['generate-script', saturn, '5', '--runner', 'sequential', '--json']))).toEqual([
      ['batch', 5],
    ]);
  });
});
