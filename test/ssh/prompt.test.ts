// A key with a passphrase, as a person at a terminal meets it: under a real pseudo-terminal
// (util-linux `script`) the passphrase is asked for, typed without echo, and the login goes on;
// off a terminal nothing is asked (a script or CI never hangs) and the refusal says to use
// ssh-agent. Both clients (the system ssh asks on the terminal itself). A private sshd of the test
// accepts that key.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { cliAwait, engineAvailable, scratch } from '../helpers.js';
import { privateSshd, type PrivateSshd } from './private-sshd.js';
import { inPty } from './pty.js';
import { REMOTE_BATCHPLAN, SSHD_DIR, sshdUp } from './sshd.js';

const up = sshdUp() && engineAvailable('script');
const dir = scratch('batchplan-ssh-prompt-');
chmodSync(dir, 0o755);
const PASS = 'pass-7Qx!word';
const key = join(dir, 'id_pass');

describe.runIf(up)('a key with a passphrase', () => {
  let sshd: PrivateSshd;
  let config: string;
  beforeAll(async () => {
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASS, '-f', key]).status).toBe(0);
    const auth = join(dir, 'authorized_keys');
    // The project's key too: the private sshd's own readiness check logs in with it.
    writeFileSync(
      auth,
      readFileSync(`${key}.pub`, 'utf8') + readFileSync(join(SSHD_DIR, 'id_ed25519.pub'), 'utf8'),
    );
    sshd = await privateSshd(dir, { alias: 'hpass', authorizedKeys: auth });
    await sshd.start();
    config = join(dir, 'ssh_config.pass');
    writeFileSync(
      config,
      `Host hpass\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${sshd.knownHosts}\n`,
    );
  });
  afterAll(() => sshd?.drop());
  const env = () => ({ BATCHPLAN_SSH_CONFIG: config, SSH_AUTH_SOCK: '', BATCHPLAN_REMOTE: '' });
  const args = (client: string) => [
    'status',
    join(dir, 'none.plan'),
    '--remote',
    'hpass',
    '--remote-batchplan',
    REMOTE_BATCHPLAN,
    '--ssh',
    client,
  ];

  it('off a terminal: not asked; refused, saying to load it into ssh-agent (ssh2)', async () => {
    const r = await cliAwait(args('ssh2'), { env: env() });
    expect(r.code).toBe(EXIT_CODES.E_SSH_AUTH);
    expect(r.stderr).toContain(`${key} (needs its passphrase: add it to ssh-agent)`);
  });

  it.each(['ssh2', 'openssh'])(
    'on a terminal (--ssh %s): asked without echo, then logged in',
    async (client) => {
      const r = await inPty(args(client), env(), `Enter passphrase for key '${key}'`, PASS);
      expect(r.typed, r.out).toBe(1);
      // Logged in: the remote batchplan answered that there is no plan there.
      expect(r.code, r.out).toBe(EXIT_CODES.E_PLAN_NOT_FOUND);
      expect(r.out).not.toContain(PASS);
    },
    90_000,
  );
});
