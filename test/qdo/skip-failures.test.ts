// --skip-failures (Saturn's): a run leaves the tasks that failed in an earlier run alone. They are
// not run again and stay failed (exit 1, the stages after them wait), the pending ones run, and
// retry still resets them; without the flag they run again as always.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers.js';

const SPEC = `
stages:
  - name: a
    nprocs: 1
    template: 'echo {{n}} >> "$LEDGER"; test {{n}} != 1'
    matrix: {n: {range: [0, 4]}}
  - {name: b, after: [a], tasks: [{cmd: 'echo b >> "$LEDGER"'}]}
`;

describe('--skip-failures', () => {
  it('run and run-partition leave earlier failures alone; retry resets them', () => {
    const dir = scratch();
    const ledger = join(dir, 'ledger');
    const env = { LEDGER: ledger };
    writeFileSync(join(dir, 's.yaml'), SPEC);
    const plan = join(dir, 'p.plan');
    // a.1 fails; then the others are made pending again, to have work besides the failure.
    expect(cli(['run', join(dir, 's.yaml'), '-o', plan], { env }).code).toBe(1);
    const ran = () => readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
    expect(ran()).toEqual(['0', '1', '2', '3']);
    expect(cli(['rerun', plan, '--force', '--stage', 'a', '--state', 'succeeded']).code).toBe(0);
    writeFileSync(ledger, '');

    // With the flag: the failed a.1 is not run, the others are; a stays failed, so b waits; exit 1.
    const r = cli(['run-partition', plan, 'a', '1', '0', '--skip-failures'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('1 failed earlier, left alone (--skip-failures)');
    expect(ran()).toEqual(['0', '2', '3']);
    const json = cli(['run-partition', plan, 'a', '1', '0', '--skip-failures', '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ skipped: 3, failedLeft: 1, failed: 0 });
    expect(cli(['run', plan, '--skip-failures'], { env }).code).toBe(1);
    expect(ran()).toEqual(['0', '2', '3']);
    const tasks = JSON.parse(cli(['tasks', plan, '--stage', 'a', '--json']).stdout);
    expect(tasks[1]).toMatchObject({ state: 'failed', attempts: 1 });

    // Balanced partitions run each other's tasks: refused, nothing run.
    const balanced = cli(['run-partition', plan, 'a', '1', '0', '--skip-failures', '--balance'], { env });
    expect(balanced.code).toBe(2);
    expect(balanced.stderr).toMatch(/--skip-failures does not apply to balanced partitions \(stage a\)/);

    // retry makes it pending, so even --skip-failures runs it; without the flag failures run again.
    expect(cli(['retry', plan, '--id', 'a.1']).code).toBe(0);
    expect(cli(['run', plan, '--skip-failures'], { env }).code).toBe(1);
    expect(ran()).toEqual(['0', '2', '3', '1']);
    expect(cli(['run', plan], { env }).code).toBe(1);
    expect(ran()).toEqual(['0', '2', '3', '1', '1']);
  });
});
