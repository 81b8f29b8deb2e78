// The per-run tree batchplan writes for a Saturn batch file, byte for byte against the one
// saturn-client's own `sc batch` wrote for the same file (recorded once: fixtures/saturn/README.md).
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURES, launchersToTest, scratch } from '../helpers.js';
// @ts-expect-error: a plain .mjs script (it also records the fixture), typed loosely here
import { tree } from '../../fixtures/saturn/tree.mjs';

const dir = scratch('batchplan-sc-tree-');
const recorded = JSON.parse(readFileSync(join(FIXTURES, 'saturn', 'batch-20.sc-batch.tree.json'), 'utf8'));

describe.each(launchersToTest())('the Saturn per-run tree (%s launcher)', (launcher) => {
  it('is byte for byte the one sc batch writes, for 20 runs of every kind', () => {
    const work = mkdtempSync(join(dir, `${launcher}-`));
    cpSync(join(FIXTURES, 'saturn', 'batch-20.yaml'), join(work, 'batch-20.yaml'));
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'batch-20.yaml'), '-o', plan]).code).toBe(0);
    const r = cli(['run-partition', plan, 'batch-20', '1', '0'], { env: { BATCHPLAN_LAUNCHER: launcher } });
    expect(r.code).toBe(1); // some runs fail, by design
    expect(tree(join(work, 'out'))).toEqual(recorded);
    // Echoed to the job log as sc batch does: every run's stdout is in run-partition's.
    expect(r.stdout).toContain('the parent goes on\n');
    expect(r.stdout).toContain('ünïcødé ✓\n');
  });
});
