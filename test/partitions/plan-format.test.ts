// plan.json's format version once a stage sets its own partition count: 4, so that a batchplan that
// reads only versions 2 and 3 refuses the plan as too new (E_PLAN_VERSION) rather than calling the
// key damage, and never splits the stage by the script's N. Plans whose stages set none keep 2
// (or 3 once added to), which older readers still run; and a plan newer than this batchplan is
// refused with the advice to upgrade, nothing written.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';
import { planJson, specs } from './specs.js';

const { dir, planOf, write } = specs('batchplan-partitions-format-');
const stage = (name: string, fields = '', after = '') =>
  `  - {name: ${name}, ${fields}${after ? ` after: [${after}],` : ''} template: 'echo ${name} {{i}}', matrix: {i: {range: [0, 6]}}}\n`;

function add(plan: string, yaml: string) {
  const r = cli(['add', plan, write(yaml)]);
  expect(r.code, r.stderr).toBe(0);
}

describe('plan format version and a stage’s own partition count', () => {
  it('is 4 when a stage sets partitions or tasks_per_partition, 2 when none does', () => {
    expect(planJson(planOf('stages:\n' + stage('a') + stage('b', '', 'a'))).version).toBe(2);
    expect(planJson(planOf('stages:\n' + stage('a', 'partitions: 3,') + stage('b', '', 'a'))).version).toBe(
      4,
    );
    expect(planJson(planOf('stages:\n' + stage('a', 'tasks_per_partition: 2,'))).version).toBe(4);
  });

  it('is 4 too when a stage sets balance, backup or gpus_per_slot (older readers would call them damage)', () => {
    for (const fields of ['balance: true,', 'balance: false,', 'backup: true,', 'gpus_per_slot: 1,']) {
      expect(planJson(planOf('stages:\n' + stage('a', fields))).version, fields).toBe(4);
    }
    expect(planJson(planOf('defaults: {balance: true}\nstages:\n' + stage('a'))).version).toBe(4);
  });

  it('add: 3 for added stages without counts, 4 once an added stage sets one, and 4 stays 4', () => {
    const plain = planOf('stages:\n' + stage('a'));
    add(plain, 'stages:\n' + stage('b', '', 'a'));
    expect(planJson(plain).version).toBe(3);
    add(plain, 'stages:\n' + stage('c', 'partitions: 2,', 'b'));
    const file = planJson(plain);
    expect(file.version).toBe(4);
    expect(file.stages.map((s: { partitions?: number }) => s.partitions)).toEqual([undefined, undefined, 2]);

    const own = planOf('stages:\n' + stage('a', 'partitions: 3,'));
    add(own, 'stages:\n' + stage('b', '', 'a'));
    expect(planJson(own).version).toBe(4);
  });

  it('a plan of version 2 with a stage count (written before the bump) is still read and split by it', () => {
    const plan = planOf('stages:\n' + stage('a', 'partitions: 3,'));
    const file = planJson(plan);
    writeFileSync(join(plan, 'plan.json'), JSON.stringify({ ...file, version: 2 }, null, 2) + '\n');
    const r = cli(['run-partition', plan, 'a', '1', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ partitions: 3, start: 4, end: 6 });
  });

  it('a plan newer than this batchplan: E_PLAN_VERSION (exit 8) saying to upgrade, nothing written', () => {
    const plan = planOf('stages:\n' + stage('a', 'partitions: 3,'));
    const file = planJson(plan);
    writeFileSync(
      join(plan, 'plan.json'),
      JSON.stringify({ ...file, version: 6, batchplanVersion: '7.1.0' }, null, 2) + '\n',
    );
    for (const args of [
      ['status', plan],
      ['run-partition', plan, 'a', '1', '0'],
      ['generate-script', plan, '--runner', 'sequential', '-o', join(dir, 'newer.sh')],
    ]) {
      const r = cli(args);
      expect(r.code, args[0]).toBe(8);
      expect(r.stderr).toContain(`plan ${plan} has format version 6 (written by batchplan 7.1.0)`);
      expect(r.stderr).toMatch(/this batchplan \(\S+\) reads version 2, 3, 4, 5/);
      expect(r.stderr).toContain('Upgrade batchplan to 7.1.0 or newer wherever the plan runs');
    }
    expect(existsSync(join(plan, 'status', 'stage-0'))).toBe(false);
    expect(existsSync(join(dir, 'newer.sh'))).toBe(false);
    // An older version is not "upgrade": it was written by an older batchplan.
    writeFileSync(join(plan, 'plan.json'), JSON.stringify({ ...file, version: 1 }, null, 2) + '\n');
    const old = cli(['status', plan]);
    expect(old.code).toBe(8);
    expect(old.stderr).toContain('Use the batchplan version that wrote the plan, or re-create the plan');
  });
});
