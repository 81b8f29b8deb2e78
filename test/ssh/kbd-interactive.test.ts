// Keyboard-interactive, as a cluster that asks for a one-time password meets it: a private sshd of
// the test that accepts nothing else (its PAM stack, from scripts/sshd/up.sh, asks one password).
// Under a real pseudo-terminal the prompt is answered without echo and `status --remote` runs
// there; a wrong answer is E_SSH_AUTH; off a terminal nothing is asked and the refusal says that
// keyboard-interactive needs one. Both clients (the system ssh asks on the terminal itself).
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { cli, cliAwait, engineAvailable, FIXTURES, scratch } from '../helpers.js';
import { KBD_SSHD, privateSshd, type PrivateSshd } from './private-sshd.js';
import { inPty } from './pty.js';
import { REMOTE_BATCHPLAN, SSHD_DIR, sshdUp } from './sshd.js';

const KBD_USER = process.env.BATCHPLAN_SSH_KBD_USER ?? 'batchplan-kbd';
const PASSWORD_FILE = join(SSHD_DIR, 'kbd_password');

/** up.sh made the PAM stack, the user and the password (root may read it). */
function kbdReady(): boolean {
  const ready =
    existsSync(KBD_SSHD) && existsSync('/etc/pam.d/batchplan-sshd-kbd') && existsSync(PASSWORD_FILE);
  if (!ready && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(`no keyboard-interactive set-up in ${SSHD_DIR}; run scripts/sshd/up.sh`);
  return ready;
}

const up = sshdUp() && engineAvailable('script') && kbdReady();
const dir = scratch('batchplan-ssh-kbd-');
chmodSync(dir, 0o755);

describe.runIf(up)('keyboard-interactive (a password or one-time code)', () => {
  let sshd: PrivateSshd;
  let password: string;
  const plan = join(dir, 'kbd.plan');
  beforeAll(async () => {
    password = readFileSync(PASSWORD_FILE, 'utf8');
    // The plan, readable by the test user there (the "cluster" is this machine).
    expect(cli(['plan', join(FIXTURES, 'examples', 'sweep.yaml'), '-o', plan]).code).toBe(0);
    sshd = await privateSshd(dir, { alias: 'hkbd', user: KBD_USER, keyboardInteractive: true });
    await sshd.start();
  });
  afterAll(() => sshd?.drop());
  // No agent; the config offers the project's key, which this sshd refuses: only the code gets in.
  const env = () => ({ BATCHPLAN_SSH_CONFIG: sshd.config, SSH_AUTH_SOCK: '', BATCHPLAN_REMOTE: '' });
  const args = (client: string) => [
    'status',
    plan,
    '--remote',
    'hkbd',
    '--remote-batchplan',
    REMOTE_BATCHPLAN,
    '--ssh',
    client,
  ];

  it.each(['ssh2', 'openssh'])(
    'on a terminal (--ssh %s): the prompt is answered without echo, and status runs there',
    async (client) => {
      const r = await inPty(args(client), env(), 'Password: ', password);
      expect(r.typed, r.out).toBe(1);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`plan ${plan}`);
      expect(r.out).toMatch(/overall: 0\/37 succeeded/);
      expect(r.out).not.toContain(password);
    },
    90_000,
  );

  it.each(['ssh2', 'openssh'])(
    'on a terminal (--ssh %s): a wrong answer is E_SSH_AUTH, exit 17',
    async (client) => {
      // The system ssh asks again (NumberOfPasswordPrompts, 3): every prompt gets the wrong answer.
      const r = await inPty(args(client), env(), 'Password: ', `${password}x`);
      expect(r.typed, r.out).toBeGreaterThanOrEqual(1);
      expect(r.code, r.out).toBe(EXIT_CODES.E_SSH_AUTH);
      expect(r.out).toContain('batchplan: error [E_SSH_AUTH]: ');
      expect(r.out).toContain('password or one-time code typed was refused');
      expect(r.out).not.toContain('overall:');
    },
    90_000,
  );

  it.each(['ssh2', 'openssh'])(
    'off a terminal (--ssh %s): nothing asked; refused, saying keyboard-interactive needs a terminal',
    async (client) => {
      const r = await cliAwait(args(client), { env: env() });
      expect(r.code, r.stderr).toBe(EXIT_CODES.E_SSH_AUTH);
      expect(r.stderr).toContain('batchplan: error [E_SSH_AUTH]: ');
      expect(r.stderr).toMatch(
        /keyboard-interactive \(a password or one-time code\)[^\n]* only on a terminal/,
      );
      expect(r.stderr).toContain('Run the command on a terminal to type the code');
      expect(r.stdout).toBe('');
    },
    60_000,
  );
});
