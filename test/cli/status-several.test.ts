// status a.plan b.plan (qdo's list): one block per plan and a summary line; --json an array of the
// one-plan objects; a path that is not a plan fails before anything is printed (exit 7).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-status-several-');

describe('status of several plans', () => {
  const a = join(dir, 'a.plan');
  const b = join(dir, 'b.plan');
  const c = join(dir, 'c.plan');
  cli(['plan', join(FIXTURES, 'examples/sweep.yaml'), '-o', a]);
  writeFileSync(join(dir, 'b.txt'), 'echo hi\n');
  writeFileSync(join(dir, 'c.txt'), 'exit 3\n');
  cli(['run', join(dir, 'b.txt'), '-o', b]);
  cli(['run', join(dir, 'c.txt'), '-o', c]);

  it('prints a block per plan, then how many are done, failed, or have work left', () => {
    const r = cli(['status', a, b, c]);
    expect(r.code, r.stderr).toBe(0);
    const blocks = r.stdout.split('\n\n');
    expect(blocks).toHaveLength(4);
    expect(blocks[0]).toBe(cli(['status', a]).stdout.trimEnd());
    expect(blocks[1]).toContain(`plan ${b}\n`);
    expect(blocks[2]).toContain('overall: 0/1 succeeded (0.0%), 1 failed');
    expect(blocks[3]).toBe('plans: 3, 1 done, 1 with failed tasks, 1 with work left\n');
  });

  it('--json is an array of what status --json prints for each', () => {
    const all = JSON.parse(cli(['status', a, b, '--json']).stdout);
    expect(all).toEqual([
      JSON.parse(cli(['status', a, '--json']).stdout),
      JSON.parse(cli(['status', b, '--json']).stdout),
    ]);
  });

  it('a path that is not a plan: exit 7, nothing on stdout', () => {
    const r = cli(['status', a, join(dir, 'nosuch.plan')]);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('E_PLAN_NOT_FOUND');
  });
});
