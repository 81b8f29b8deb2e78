// Bad input through the real CLI: a clear message on stderr naming what and where, the documented
// exit code, nothing on stdout, and nothing written (no plan directory, no partial files, no journal).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, type ErrorCode } from '../../src/errors.js';
import { cli, FIXTURES, scratch, type CliResult } from '../helpers.js';

const dir = scratch();

/** Every file and directory under `root`, with size and modification time: what "nothing written" compares. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      out[relative(root, p)] = e.isDirectory() ? 'dir' : `${st.size}@${st.mtimeMs}`;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** Run the CLI in `cwd` and check that it failed with `code`, said so on stderr, and wrote nothing there. */
function fails(args: string[], code: ErrorCode, opts: { cwd?: string; watch?: string } = {}): CliResult {
  const cwd = opts.cwd ?? dir;
  const watch = opts.watch ?? cwd;
  const before = snapshot(watch);
  const r = cli(args, { cwd });
  expect(r.signal).toBeNull();
  expect(r.code, r.stderr).toBe(EXIT_CODES[code]);
  // Our errors carry their code; the option parser's own usage errors start with `error:`.
  if (code === 'E_USAGE') expect(r.stderr).toMatch(/^(batchplan: error \[E_USAGE\]: |error: )/);
  else expect(r.stderr).toMatch(new RegExp(`^batchplan: error \\[${code}\\]: `));
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(snapshot(watch)).toEqual(before);
  return r;
}

function spec(name: string, text: string): string {
  const sub = join(dir, name.replace(/\W/g, '_'));
  mkdirSync(sub, { recursive: true });
  const file = join(sub, name);
  writeFileSync(file, text);
  return file;
}

/** A real plan of the example sweep (extract: 36 tasks, merge: 1). */
function makePlan(name: string): string {
  const plan = join(dir, name);
  const r = cli(['plan', join(FIXTURES, 'examples', 'sweep.yaml'), '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return plan;
}

describe('bad specs: plan writes nothing', () => {
  it('malformed YAML: E_SPEC_PARSE with file and line', () => {
    const file = spec('broken.yaml', 'stages:\n  - name: a\n   tasks: x\n');
    const r = fails(['plan', file, '-o', 'broken.plan'], 'E_SPEC_PARSE', { cwd: join(file, '..') });
    expect(r.stderr).toContain(`${file}:3: `);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(readdirSync(join(file, '..'))).toEqual(['broken.yaml']);
  });

  it('unknown key: E_SPEC_INVALID with file, line and path', () => {
    const file = spec(
      'unknown.yaml',
      'stages:\n  - name: a\n    tasks:\n      - cmd: echo\n        colour: red\n',
    );
    const r = fails(['plan', file, '-o', 'out.plan'], 'E_SPEC_INVALID', { cwd: join(file, '..') });
    expect(r.stderr).toContain(`${file}:5 (stages[0].tasks[0].colour): unknown key 'colour'`);
  });

  it('a cycle: E_PLAN_CYCLE naming the stages', () => {
    const file = spec(
      'cycle.yaml',
      'stages:\n  - name: a\n    after: [b]\n    tasks: [{cmd: x}]\n  - name: b\n    after: [a]\n    tasks: [{cmd: y}]\n',
    );
    const r = fails(['plan', file, '-o', 'out.plan'], 'E_PLAN_CYCLE', { cwd: join(file, '..') });
    expect(r.stderr).toContain(`${file}:3 (stages[0].after)`);
    expect(r.stderr).toContain('a -> b -> a');
  });

  it('a missing spec file: E_SPEC_PARSE saying so', () => {
    const r = fails(['plan', 'nope.yaml', '-o', 'out.plan'], 'E_SPEC_PARSE');
    expect(r.stderr).toContain('cannot read spec nope.yaml: no such file');
  });

  it('an existing plan without --force: E_PLAN_EXISTS, and the plan is untouched', () => {
    const plan = makePlan('exists.plan');
    const r = fails(['plan', join(FIXTURES, 'examples', 'commands.txt'), '-o', plan], 'E_PLAN_EXISTS');
    expect(r.stderr).toContain(plan);
    expect(r.stderr).toContain('--force');
  });

  it('an unknown --format: a usage error naming the choices', () => {
    const file = spec('fmt.yaml', 'stages:\n  - name: a\n    tasks: [{cmd: x}]\n');
    const r = fails(['plan', file, '-o', 'out.plan', '--format', 'toml'], 'E_USAGE', {
      cwd: join(file, '..'),
    });
    expect(r.stderr).toMatch(/--format/);
    expect(r.stderr).toMatch(/spec, commands, saturn/);
  });
});

describe('bad plans and arguments: nothing written', () => {
  let plan: string;
  beforeAll(() => {
    plan = makePlan('sweep.plan');
  });

  it('a missing plan directory: E_PLAN_NOT_FOUND for every command that reads one', () => {
    const missing = join(dir, 'missing.plan');
    for (const args of [
      ['status', missing],
      ['tasks', missing],
      ['logs', missing, 'extract.0'],
      ['generate-script', missing, '4', '--runner', 'sequential', '-o', 'run.sh'],
      ['run-partition', missing, 'extract', '4', '0'],
    ]) {
      const r = fails(args, 'E_PLAN_NOT_FOUND');
      expect(r.stderr).toContain(`no plan directory at ${missing}`);
      expect(r.stderr).toContain('batchplan plan');
    }
  });

  it('a plan of another format version: E_PLAN_VERSION, and the plan is left alone', () => {
    const old = makePlan('future.plan');
    const file = join(old, 'plan.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.version = 99;
    writeFileSync(file, JSON.stringify(json, null, 2));
    for (const args of [
      ['status', old],
      ['tasks', old, '--json'],
      ['generate-script', old, '4', '--runner', 'sequential', '-o', 'run.sh'],
      ['run-partition', old, 'extract', '4', '0'],
    ]) {
      const r = fails(args, 'E_PLAN_VERSION');
      expect(r.stderr).toContain(`plan ${old} has format version 99`);
      expect(r.stderr).toMatch(/reads version 2/);
    }
  });

  it('a damaged plan.json: E_PLAN_CORRUPT', () => {
    const bad = makePlan('damaged.plan');
    writeFileSync(join(bad, 'plan.json'), '{"format": "batchplan-plan", "vers');
    const r = fails(['status', bad], 'E_PLAN_CORRUPT');
    expect(r.stderr).toContain(join(bad, 'plan.json'));
  });

  it('N = 0 for generate-script: a usage error naming N, no script written', () => {
    const r = fails(['generate-script', plan, '0', '--runner', 'sequential', '-o', 'run.sh'], 'E_USAGE');
    expect(r.stderr).toContain("N must be a positive integer, got '0'");
  });

  it('N = 0 for run-partition: a usage error naming N, no journal written', () => {
    const r = fails(['run-partition', plan, 'extract', '0', '0'], 'E_USAGE');
    expect(r.stderr).toContain("N must be a positive integer, got '0'");
  });

  it.each([['-1'], ['four'], ['2.5']])('N = %s is a usage error too', (bad) => {
    // '-1' looks like an option to the parser: either way it is a usage error.
    const r = fails(['generate-script', plan, bad, '--runner', 'sequential', '-o', 'run.sh'], 'E_USAGE');
    expect(r.stderr).toMatch(/N must be a positive integer|unknown option/);
  });

  it('a partition index past the end: E_PARTITION_RANGE saying how many partitions there are', () => {
    const r = fails(['run-partition', plan, 'extract', '4', '4'], 'E_PARTITION_RANGE');
    expect(r.stderr).toContain("partition index 4 is out of range 0..3 for stage 'extract'");
    const few = fails(['run-partition', plan, 'merge', '4', '2'], 'E_PARTITION_RANGE');
    expect(few.stderr).toContain('0..0');
    expect(few.stderr).toMatch(/N = 4 yields only 1 partition/);
  });

  it('a partition index that is not a number: a usage error', () => {
    const r = fails(['run-partition', plan, 'extract', '4', 'first'], 'E_USAGE');
    expect(r.stderr).toContain("partition index 'first'");
  });

  it('an unknown stage: E_UNKNOWN_STAGE listing the stages', () => {
    for (const args of [
      ['run-partition', plan, 'extrakt', '4', '0'],
      ['tasks', plan, '--stage', 'extrakt'],
    ]) {
      const r = fails(args, 'E_UNKNOWN_STAGE');
      expect(r.stderr).toContain(`no stage 'extrakt' in plan ${plan}`);
      expect(r.stderr).toContain('Stages: extract, merge');
    }
  });

  it('an unknown runner: E_UNKNOWN_RUNNER listing the runners, no script written', () => {
    const r = fails(['generate-script', plan, '4', '--runner', 'slurmm', '-o', 'run.sh'], 'E_UNKNOWN_RUNNER');
    expect(r.stderr).toContain("no runner 'slurmm'");
    expect(r.stderr).toMatch(/Runners: .*sequential/);
    expect(r.stderr).toMatch(/gnu-parallel/);
  });

  it('an unknown task id for logs: E_UNKNOWN_TASK naming it', () => {
    const r = fails(['logs', plan, 'extract.360'], 'E_UNKNOWN_TASK');
    expect(r.stderr).toContain(`no task 'extract.360' in plan ${plan}`);
    expect(r.stderr).toContain('batchplan tasks');
    // A prefix of a real id is not that id.
    fails(['logs', plan, 'extract.3'], 'E_UNKNOWN_TASK');
  });

  it('an unknown --state value: a usage error naming the option and its choices', () => {
    const r = fails(['tasks', plan, '--state', 'broken'], 'E_USAGE');
    expect(r.stderr).toContain("option '--state <state>' argument 'broken' is invalid");
    expect(r.stderr).toContain('pending, running, lost, interrupted, succeeded, failed');
  });

  it('the plan directory is exactly as planned after all of the above', () => {
    expect(readdirSync(plan).sort()).toEqual(['plan.json', 'tasks.idx', 'tasks.jsonl', 'vars']);
  });
});
