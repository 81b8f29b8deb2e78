// --ssh openssh: the system ssh behind the same Transport; its core refusals and a quoted path.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { cli, scratch } from '../helpers.js';
import { REMOTE_BATCHPLAN, sshConfig, sshdUp, sshEnv } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-openssh-');
chmodSync(dir, 0o755);
const SPEC = join(dir, 'spec.yaml');
writeFileSync(SPEC, 'stages:\n  - name: s\n    tasks:\n      - { id: t, cmd: "echo hi" }\n');
const bp = (host: string, config: string, args: string[], more: string[] = []) =>
  cli([...args, '--remote', host, '--remote-batchplan', REMOTE_BATCHPLAN, '--ssh', 'openssh', ...more], {
    env: sshEnv(config),
  });

describe.runIf(up)('--ssh openssh', () => {
  it('writes and reads a plan whose path has a space, a quote and a $, through a ProxyJump', () => {
    const name = `o p'e$n"ssh`;
    const config = sshConfig(dir);
    const p = bp('h1', config, ['plan', SPEC, '-o', name], ['--remote-dir', dir]);
    expect(p.stderr).toBe('');
    expect(p.stdout).toContain(`plan ${join(dir, name)}: 1 stage, 1 task`);
    const local = cli(['tasks', join(dir, name), '--json']).stdout;
    expect(bp('h3', config, ['tasks', join(dir, name), '--json']).stdout).toBe(local);
  });

  it('refuses an unknown host key; --accept-new-host-key records it', () => {
    const d = join(dir, 'fresh');
    mkdirSync(d);
    writeFileSync(join(d, 'known_hosts'), '');
    const config = sshConfig(d, join(d, 'known_hosts'));
    const r = bp('h1', config, ['status', dir]);
    expect(r.code).toBe(EXIT_CODES.E_SSH_HOST_KEY);
    expect(r.stderr).toMatch(/Host key verification failed|No .* host key is known/);
    const ok = bp('h1', config, ['status', join(dir, 'nope')], ['--accept-new-host-key']);
    expect(ok.code).toBe(EXIT_CODES.E_PLAN_NOT_FOUND);
    expect(readFileSync(join(d, 'known_hosts'), 'utf8')).toMatch(/127\.0\.0\.1/);
  });

  it('a wrong user and an unreachable port are typed errors', () => {
    const config = sshConfig(dir);
    expect(bp('nosuchuser@h1', config, ['status', dir]).code).toBe(EXIT_CODES.E_SSH_AUTH);
    const r = bp('127.0.0.1:2999', config, ['status', dir]);
    expect(r.code).toBe(EXIT_CODES.E_SSH_CONNECT);
    expect(r.stderr).toMatch(/Connection refused/);
  });
});
