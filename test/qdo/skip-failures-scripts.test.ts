// --skip-failures beyond run and run-partition: generate-script's scripts run for real (bash and
// GNU parallel) leave earlier failures alone, as does a stage's skip_failures in the spec (plan.json
// version 5, so that an older batchplan refuses the plan rather than running its failures again);
// bad values and a balanced stage are refused before anything is written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bash, cli, engineAvailable } from '../helpers.js';
import { planJson, specs } from '../partitions/specs.js';

const { dir, planOf, refused } = specs('batchplan-skip-failures-');

// a.1 fails; b waits for the whole of a; c needs a's tasks one by one.
const SPEC = (extra = '') => `
stages:
  - name: a
    nprocs: 1${extra}
    template: 'echo a{{n}} >> "$LEDGER"; test {{n}} != 1'
    matrix: {n: {range: [0, 4]}}
  - {name: b, after: [a], tasks: [{cmd: 'echo b >> "$LEDGER"'}]}
`;

/** A plan whose a.1 failed and whose other tasks of a are pending again; the ledger, emptied. */
function failedOnce(extra = '') {
  const plan = planOf(SPEC(extra));
  const ledger = join(dir, `${plan.replace(/\W/g, '_')}.ledger`);
  const env = { LEDGER: ledger };
  expect(cli(['run', plan], { env }).code).toBe(1);
  expect(cli(['rerun', plan, '--force', '--stage', 'a', '--state', 'succeeded']).code).toBe(0);
  writeFileSync(ledger, '');
  const ran = () => readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
  return { plan, env, ran };
}

const RUNNERS = [
  { name: 'sequential', available: true },
  { name: 'gnu-parallel', available: engineAvailable('parallel') },
];

describe.each(RUNNERS)(
  'generate-script --runner $name --skip-failures, run for real',
  ({ name, available }) => {
    it.runIf(available)(
      'the failed task is not run again, the others are, and b (after a) does not run',
      () => {
        const { plan, env, ran } = failedOnce();
        const script = join(dir, `${name}.sh`);
        const g = cli(['generate-script', plan, '2', '--runner', name, '--skip-failures', '-o', script]);
        expect(g.code, g.stderr).toBe(0);
        const r = bash(`bash ${script}`, { env });
        expect(r.code, r.stderr).toBe(1);
        expect(ran().sort()).toEqual(['a0', 'a2', 'a3']);
        expect(r.stderr).toContain('1 failed earlier, left alone (--skip-failures)');
        const tasks = JSON.parse(cli(['tasks', plan, '--json']).stdout);
        expect(tasks.map((t: { state: string }) => t.state)).toEqual([
          'succeeded',
          'failed',
          'succeeded',
          'succeeded',
          'pending',
        ]);
        expect(tasks[1].attempts).toBe(1);

        // Without the flag the same script runs a.1 again (and so fails again).
        const plain = join(dir, `${name}-plain.sh`);
        expect(cli(['generate-script', plan, '2', '--runner', name, '-o', plain]).code).toBe(0);
        expect(bash(`bash ${plain}`, { env }).code).toBe(1);
        expect(ran().sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
      },
    );
  },
);

describe('skip_failures in the spec', () => {
  it('leaves failures alone with no flag, in run and in generated scripts; plan.json is version 5', () => {
    const { plan, env, ran } = failedOnce('\n    skip_failures: true');
    expect(planJson(plan).version).toBe(5);
    expect(planJson(plan).stages.map((s: { skipFailures?: true }) => s.skipFailures)).toEqual([
      true,
      undefined,
    ]);
    const script = join(dir, 'spec-key.sh');
    expect(cli(['generate-script', plan, '2', '--runner', 'sequential', '-o', script]).code).toBe(0);
    expect(bash(`bash ${script}`, { env }).code).toBe(1);
    expect(ran().sort()).toEqual(['a0', 'a2', 'a3']);
    expect(cli(['run', plan], { env }).code).toBe(1);
    expect(ran().sort()).toEqual(['a0', 'a2', 'a3']);
    // retry still makes it run again.
    expect(cli(['retry', plan, '--id', 'a.1']).code).toBe(0);
    expect(cli(['run', plan], { env }).code).toBe(1);
    expect(ran().sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
  });

  it('in defaults: every stage, version 5 even when a stage turns it off; plans without it keep 2', () => {
    const yaml = (stageKey: string) =>
      `defaults: {skip_failures: true}\nstages:\n  - {name: a, ${stageKey}tasks: [{cmd: 'true'}]}\n`;
    const on = planJson(planOf(yaml('')));
    expect([on.version, on.defaults.skipFailures, on.stages[0].skipFailures]).toEqual([5, true, true]);
    const off = planJson(planOf(yaml('skip_failures: false, ')));
    expect([off.version, off.defaults.skipFailures, off.stages[0].skipFailures]).toEqual([
      5,
      true,
      undefined,
    ]);
    expect(
      planJson(planOf(`stages:\n  - {name: a, skip_failures: false, tasks: [{cmd: 'true'}]}\n`)).version,
    ).toBe(2);
  });

  it('this batchplan reads version 5, and refuses a newer one as too new', () => {
    const plan = planOf(SPEC('\n    skip_failures: true'));
    const file = planJson(plan);
    writeFileSync(join(plan, 'plan.json'), JSON.stringify({ ...file, version: 6 }, null, 2) + '\n');
    const r = cli(['status', plan]);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/reads version 2, 3, 4, 5\b/);
  });
});

describe('hostile inputs: refused with the file and line, nothing written', () => {
  it('skip_failures: "yes" (or yes, or 1) is not a boolean', () => {
    for (const value of ['"yes"', 'yes', '1']) {
      const err = refused(`stages:\n  - name: a\n    skip_failures: ${value}\n    tasks: [{cmd: 'true'}]\n`);
      expect(err).toMatch(/spec-\d+\.yaml:3 \(stages\[0\]\.skip_failures\): expected true or false, not /);
    }
    const err = refused(
      `defaults:\n  skip_failures: "yes"\nstages:\n  - {name: a, tasks: [{cmd: 'true'}]}\n`,
    );
    expect(err).toMatch(/spec-\d+\.yaml:2 \(defaults\.skip_failures\): expected true or false, not "yes"/);
  });

  it('skip_failures with balance: true, on the stage or through defaults', () => {
    const stage = refused(
      `stages:\n  - name: a\n    balance: true\n    skip_failures: true\n    tasks: [{cmd: 'true'}]\n`,
    );
    expect(stage).toMatch(
      /spec-\d+\.yaml:4 \(stages\[0\]\.skip_failures\): stage 'a': skip_failures does not apply to a balanced stage/,
    );
    const viaDefaults = refused(
      `defaults: {skip_failures: true}\nstages:\n  - name: a\n    balance: true\n    tasks: [{cmd: 'true'}]\n`,
    );
    expect(viaDefaults).toMatch(/spec-\d+\.yaml:4 \(stages\[0\]\.balance\): stage 'a': skip_failures/);
  });

  it('generate-script and submit --skip-failures with a balanced stage: refused before anything is written', () => {
    const plan = planOf(
      `stages:\n  - {name: a, balance: true, template: 'true {{n}}', matrix: {n: {range: [0, 4]}}}\n`,
    );
    const out = join(dir, 'balanced-out');
    for (const args of [
      ['generate-script', plan, '2', '--runner', 'sequential', '--skip-failures', '-o', join(out, 'run.sh')],
      ['generate-script', plan, '2', '--runner', 'slurm', '--skip-failures', '-o', out],
      ['submit', plan, '2', '--runner', 'slurm', '--skip-failures', '--dry-run'],
      ['submit', plan, '2', '--runner', 'slurm', '--skip-failures'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('--skip-failures does not apply to balanced partitions (stage a)');
      expect(r.stderr).toContain('or drop --skip-failures');
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(plan, 'scripts'))).toBe(false);
    expect(existsSync(join(plan, 'submissions'))).toBe(false);
    // A stage the environment makes balanced, with the spec's skip_failures: refused, saying so.
    const spec = planOf(
      `stages:\n  - {name: s, skip_failures: true, tasks: [{cmd: 'true'}, {cmd: 'true'}]}\n`,
    );
    const r = cli(['generate-script', spec, '2', '--runner', 'sequential', '-o', join(out, 'env.sh')], {
      env: { BATCHPLAN_BALANCE: '1' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(stage s, skip_failures in the spec)');
    expect(existsSync(out)).toBe(false);
  });

  it('lines: every command line carries it', () => {
    const plan = planOf(SPEC());
    const r = cli(['generate-script', plan, '2', '--runner', 'lines', '--skip-failures']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .every((l) => l.includes(' run-partition --skip-failures -- ')),
    ).toBe(true);
  });
});
