// EACCES is E_IO naming the file, never exit 70: batchplan run as an unprivileged user (setpriv to
// nobody: these tests run as root) on a plan it may read but not write, or whose journal it may not
// read. (EDQUOT: quota.test.ts.)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, scratch } from '../helpers.js';
import { makePlan } from './helpers.js';

const E_IO = 14;
const root = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const dir = scratch('batchplan-perm-');
chmodSync(dir, 0o755); // nobody may read the plans, not write them

function asNobody(args: string[]) {
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, ...args],
    { encoding: 'utf8', cwd: dir },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const plain = (stderr: string) => {
  expect(stderr).not.toMatch(/a bug in batchplan|\n\s+at /); // no internal error, no stack trace
};
let seq = 0;
const spec = { stages: [{ name: 's', tasks: [{ cmd: 'true' }, { cmd: 'true' }] }] };

describe.runIf(root)('a plan this user may not write (EACCES)', () => {
  it('run-partition is E_IO naming the status directory; nothing is run or written', () => {
    const plan = makePlan(dir, `ro${seq++}`, spec);
    const r = asNobody(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(E_IO);
    expect(r.stderr).toContain(`cannot create ${join(plan, 'status')}`);
    expect(r.stderr).toMatch(/EACCES/);
    plain(r.stderr);
    expect(existsSync(join(plan, 'status'))).toBe(false);
  });

  it('a results directory it may not write is E_IO naming it, after the journal says so', () => {
    const plan = makePlan(dir, `res${seq++}`, spec);
    mkdirSync(join(plan, 'status'), { mode: 0o777 });
    chmodSync(join(plan, 'status'), 0o777);
    mkdirSync(join(plan, 'results'), { mode: 0o755 });
    const r = asNobody(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(E_IO);
    expect(r.stderr).toContain(join(plan, 'results'));
    expect(r.stderr).toMatch(/EACCES/);
    plain(r.stderr);
  });

  it('status with a journal it may not read is E_IO naming the journal', () => {
    const plan = makePlan(dir, `unread${seq++}`, spec);
    expect(cli(['run-partition', plan, 's', '1', '0']).code).toBe(0);
    const stageDir = join(plan, 'status', 'stage-0');
    const journal = join(
      stageDir,
      readdirSync(stageDir).find((f) => f.endsWith('.jsonl'))!,
    );
    chmodSync(journal, 0o600);
    const r = asNobody(['status', plan, '--json']);
    expect(r.code).toBe(E_IO);
    expect(r.stderr).toContain(journal);
    plain(r.stderr);
    expect(cli(['status', plan, '--json']).code).toBe(0); // root still reads it
  });

  it('logs with a log it may not read is E_IO naming the log', () => {
    const plan = makePlan(dir, `log${seq++}`, {
      stages: [{ name: 's', tasks: [{ id: 't', cmd: 'echo hi' }] }],
    });
    expect(cli(['run-partition', plan, 's', '1', '0']).code).toBe(0);
    const stageDir = join(plan, 'status', 'stage-0');
    const log = join(
      stageDir,
      readdirSync(stageDir).find((f) => f.endsWith('.log'))!,
    );
    chmodSync(log, 0o600);
    const r = asNobody(['logs', plan, 't']);
    expect(r.code).toBe(E_IO);
    expect(r.stderr).toContain(log);
    plain(r.stderr);
  });
});
