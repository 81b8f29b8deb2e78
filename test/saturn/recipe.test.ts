// The Saturn recipe end to end on this machine: apply.sh ships this very batchplan package with the
// job, a stand-in `sc` does what saturn-client's `sc apply --sync --start` does (copies each --sync
// directory into the job's working directory, runs the start script, then each command) in a clean
// directory whose PATH has node but no batchplan and no registry, and apply.sh judges each stage by its
// runs' status_code, not by the job's state name.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, ROOT, scratch } from '../helpers.js';

const dir = scratch('batchplan-saturn-recipe-');

function spawnAsync(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** sc apply RECIPE --start [--sync SRC[:DEST]]... and sc get job NAME -o json, as saturn-client. */
const FAKE_SC = (yamlModule: string) => `#!/usr/bin/env node
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require(${JSON.stringify(yamlModule)});
const [cmd, ...args] = process.argv.slice(2);
const state = (name) => path.join(process.env.SC_STATE, name);
fs.appendFileSync(path.join(process.env.SC_STATE, 'calls'), [cmd, ...args].join(' ') + '\\n');
if (cmd === 'get') {
  const status = fs.existsSync(state(args[1])) ? fs.readFileSync(state(args[1]), 'utf8') : 'pending';
  process.stdout.write(JSON.stringify({ spec: { name: args[1] }, state: { status } }) + '\\n');
  process.exit(0);
}
const recipe = parse(fs.readFileSync(args[0], 'utf8'));
const wd = recipe.spec.working_directory;
fs.mkdirSync(wd, { recursive: true });
for (let k = 1; k < args.length; k++) {
  if (args[k] !== '--sync') continue;
  const [src, dest0] = args[++k].split(':');
  const dest = path.resolve(wd, dest0 ?? src);
  if (path.resolve(src) !== dest) fs.cpSync(src, dest, { recursive: true });
}
// The machine: node on PATH, no batchplan, a home of its own.
const env = { PATH: process.env.MACHINE_PATH, HOME: process.env.MACHINE_HOME };
const run = (script) => spawnSync('bash', ['-c', script], { cwd: wd, env, stdio: 'inherit' }).status;
let status = run(recipe.spec.start_script) === 0 ? 'stopped' : 'error';
if (status === 'stopped') for (const c of recipe.spec.command) run(c);
fs.writeFileSync(state(recipe.spec.name), status);
`;

function setUp(name: string, runs: { cmd: string }[]) {
  const work = join(dir, name);
  const bin = join(work, 'bin');
  const machine = join(work, 'machine');
  const scState = join(work, 'sc-state');
  for (const d of [bin, machine, join(machine, 'home'), scState]) mkdirSync(d, { recursive: true });
  writeFileSync(join(bin, 'sc'), FAKE_SC(join(ROOT, 'node_modules', 'yaml', 'dist', 'index.js')));
  chmodSync(join(bin, 'sc'), 0o755);
  symlinkSync(join(ROOT, 'bin', 'batchplan.js'), join(bin, 'batchplan'));
  writeFileSync(join(work, 'batch.json'), JSON.stringify({ remote_output_path: 'out', nprocs: 2, runs }));
  writeFileSync(
    join(work, 'recipe.yaml'),
    [
      'schema_version: 2023.06.01',
      'type: job',
      'spec:',
      '  name: my-batch',
      '  image: community/saturncloud-python:2024.01',
      '  instance_type: large',
      `  working_directory: ${join(machine, 'workspace')}`,
      '',
    ].join('\n'),
  );
  const plan = join(work, 'batch.plan');
  expect(cli(['plan', join(work, 'batch.json'), '-o', plan]).code).toBe(0);
  const scripts = join(work, 'saturn');
  const g = cli([
    'generate-script',
    plan,
    '2',
    '--runner',
    'saturn',
    '--recipe',
    join(work, 'recipe.yaml'),
    '-o',
    scripts,
  ]);
  expect(g.code, g.stderr).toBe(0);
  // Awaited, not spawnSync: a blocked test thread past a minute times out vitest's worker RPC.
  const apply = () =>
    spawnAsync(join(scripts, 'apply.sh'), {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      SC_STATE: scState,
      MACHINE_PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      MACHINE_HOME: join(machine, 'home'),
      BATCHPLAN_POLL_SECONDS: '0',
    });
  return {
    work,
    machine,
    scripts,
    apply,
    recipe: () => parse(readFileSync(join(scripts, 'stage-0.recipe.yaml'), 'utf8')),
  };
}

describe('the Saturn recipe, for real in a clean directory', () => {
  it('ships batchplan with the job, keeps the recipe name and schema_version, and the runs run', async () => {
    const t = setUp('ok', [{ cmd: 'echo one' }, { cmd: 'echo two' }, { cmd: 'echo three' }]);
    const recipe = t.recipe();
    expect(recipe.schema_version).toBe('2023.06.01');
    expect(recipe.spec.name).toBe('my-batch');
    expect(recipe.spec.start_script).not.toContain('npm install');
    const r = await t.apply();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('every stage finished');
    // The commands ran from the synced copy of this package, with no batchplan on the machine's PATH.
    expect(existsSync(join(t.machine, 'workspace', '.batchplan', 'bin', 'batchplan.js'))).toBe(true);
    expect(existsSync(join(t.machine, 'workspace', '.batchplan', 'node_modules', 'commander'))).toBe(true);
    expect(recipe.spec.command[0]).toContain(
      join(t.machine, 'workspace', '.batchplan', 'bin', 'batchplan.js'),
    );
    expect(['0', '1', '2'].map((i) => readFileSync(join(t.work, 'out', i, 'stdout'), 'utf8'))).toEqual([
      'one\n',
      'two\n',
      'three\n',
    ]);
  });

  it('fails the stage when a run failed, though the job ended as `stopped`', async () => {
    const t = setUp('failed', [{ cmd: 'true' }, { cmd: 'exit 3' }]);
    const r = await t.apply();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/job my-batch ended \(stopped\), and not every run's status_code is 0/);
  });

  it('--name sets the job name', () => {
    const t = setUp('named', [{ cmd: 'true' }]);
    const g = cli([
      'generate-script',
      join(t.work, 'batch.plan'),
      '1',
      '--runner',
      'saturn',
      '--recipe',
      join(t.work, 'recipe.yaml'),
      '--name',
      'renamed',
      '-o',
      join(t.work, 'named'),
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(parse(readFileSync(join(t.work, 'named', 'stage-0.recipe.yaml'), 'utf8')).spec.name).toBe(
      'renamed',
    );
    expect(readFileSync(join(t.work, 'named', 'apply.sh'), 'utf8')).toMatch(/^if ! run_stage renamed /m);
  });

  it('says so when the machine has no node', () => {
    const t = setUp('nonode', [{ cmd: 'true' }]);
    const script = t.recipe().spec.start_script as string;
    const r = spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no node \(Node\.js 20 or later\) on this machine/);
  });
});
