// status --remote HOST a.plan b.plan: several plans in one remote batchplan call over one connection,
// printing what status prints for them here (text and --json), and a wrong path failing before
// anything is printed, as locally. On the project's sshd (test/ssh/sshd.ts).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers.js';
import { REMOTE_BATCHPLAN, sshConfig, sshdUp, sshEnv } from '../ssh/sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-status-remote-');
chmodSync(dir, 0o755);

describe.runIf(up)('status --remote of several plans', () => {
  const a = join(dir, 'a.plan');
  const b = join(dir, 'b plan');
  writeFileSync(join(dir, 'a.txt'), 'echo hi\n');
  writeFileSync(join(dir, 'b.txt'), 'echo ok\nexit 3\n');
  cli(['run', join(dir, 'a.txt'), '-o', a]);
  cli(['run', join(dir, 'b.txt'), '-o', b]);
  // The remote batchplan, through a wrapper that logs each call's arguments (one line per call).
  const calls = join(dir, 'calls.log');
  const wrapper = join(dir, 'remote-batchplan');
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${calls}'\nexec ${REMOTE_BATCHPLAN} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const config = sshConfig(dir);
  const remote = (args: string[]) => {
    writeFileSync(calls, '');
    const r = cli(['status', ...args, '--remote', 'h1', '--remote-batchplan', wrapper, '--remote-dir', dir], {
      env: sshEnv(config),
    });
    return { ...r, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
  };

  it('prints what status prints here, from one remote call', () => {
    const local = cli(['status', a, b]);
    expect(local.stdout).toContain('plans: 2, 1 done, 1 with failed tasks, 0 with work left');
    const r = remote(['a.plan', 'b plan']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(local.code);
    expect(r.stdout).toBe(local.stdout);
    expect(r.calls.filter((c) => c.startsWith('status'))).toEqual(['status -- a.plan b plan']);
  });

  it('--json is the same array as here', () => {
    const r = remote(['a.plan', 'b plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(cli(['status', a, b, '--json']).stdout));
  });

  it('a path that is not a plan there: exit 7, nothing on stdout', () => {
    const r = remote(['a.plan', 'nosuch.plan']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('E_PLAN_NOT_FOUND');
    expect(r.stderr).toContain('nosuch.plan');
  });
});
