// The project's sshd (scripts/sshd/up.sh): several "hosts" on loopback addresses. Tests skip
// without it locally, and fail in CI (BATCHPLAN_REQUIRE_ENGINES=1).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BIN } from '../helpers.js';

export const SSHD_DIR =
  process.env.BATCHPLAN_SSHD_DIR ?? join(process.env.TMPDIR ?? tmpdir(), 'batchplan-sshd');
export const PORTS = [2222, 2223];
export const TEST_USER = process.env.BATCHPLAN_SSH_USER ?? 'batchplan-ssh';
/** How the "remote" side runs this very batchplan (the hosts are this machine). */
export const REMOTE_BATCHPLAN = `${process.execPath} ${BIN}`;
export { ROOT };

export function sshdUp(): boolean {
  const pidFile = join(SSHD_DIR, 'sshd.pid');
  let up = false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    up = existsSync(join(SSHD_DIR, 'id_ed25519')) && existsSync(join(SSHD_DIR, 'known_hosts'));
  } catch {
    up = false;
  }
  if (!up && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(`the test sshd is not running (no live ${pidFile}); start it with scripts/sshd/up.sh`);
  return up;
}

/**
 * An ssh_config for the tests (passed as BATCHPLAN_SSH_CONFIG, as `ssh -F`): h1 = root@127.0.0.1:2222,
 * h2 = the test user on 127.0.0.2:2223, h3 = the test user on 127.0.0.3:2222 through h1 (ProxyJump).
 */
let configs = 0;

export function sshConfig(dir: string, knownHosts = join(SSHD_DIR, 'known_hosts'), extra = ''): string {
  const file = join(dir, `ssh_config.${++configs}`);
  writeFileSync(
    file,
    `${extra}
Host h1
  HostName 127.0.0.1
  Port 2222
  User root
Host h2
  HostName 127.0.0.2
  Port 2223
  User ${TEST_USER}
Host h3
  HostName 127.0.0.3
  User ${TEST_USER}
  ProxyJump h1
Host h*
  Port 2222
  IdentityFile ${join(SSHD_DIR, 'id_ed25519')}
  IdentitiesOnly yes
  UserKnownHostsFile ${knownHosts}
  ServerAliveInterval 5
`,
  );
  return file;
}

/** Environment for a CLI run against the test hosts: no agent, our config. */
export function sshEnv(config: string, more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { BATCHPLAN_SSH_CONFIG: config, SSH_AUTH_SOCK: '', BATCHPLAN_REMOTE: '', ...more };
}
