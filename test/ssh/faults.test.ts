// --remote against the project's sshd: the transport itself, and every way it can be refused or
// fail, each a clear typed error with nothing written or submitted.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { openSsh2 } from '../../src/remote/ssh2-transport.js';
import { cli, scratch } from '../helpers.js';
import { REMOTE_BATCHPLAN, SSHD_DIR, sshConfig, sshdUp, sshEnv, TEST_USER } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-');
chmodSync(dir, 0o755); // the test user reads plans here too
const SPEC = join(dir, 'spec.yaml');
writeFileSync(
  SPEC,
  'stages:\n  - name: s\n    tasks:\n      - { id: ok, cmd: "echo ok" }\n      - { id: bad, cmd: "echo oops >&2; exit 3" }\n',
);

const remote = (host: string, config: string, args: string[], more: string[] = []) =>
  cli([...args, '--remote', host, '--remote-batchplan', REMOTE_BATCHPLAN, ...more], { env: sshEnv(config) });

describe.runIf(up)('ssh2 transport', () => {
  const config = sshConfig(dir);

  it('one connection: commands keep their words and exit codes, files move over SFTP, ProxyJump works', async () => {
    process.env.BATCHPLAN_SSH_CONFIG = config;
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    for (const host of ['h1', 'h3']) {
      const t = await openSsh2({ host }, { note: () => {} });
      try {
        const r = await t.run(['sh', '-c', 'printf "%s|" "$1" "$(id -un)"; exit 7', 'sh', `a b'c"$HOME;`]);
        expect(r).toMatchObject({
          exitCode: 7,
          stdout: `a b'c"$HOME;|${host === 'h1' ? 'root' : TEST_USER}|`,
        });
        const f = join(open, `${host} it's`);
        await t.writeFile(f, 'line 1\n');
        execFileSync('sh', ['-c', 'printf "line 2\\n" >> "$1"', 'sh', f]);
        expect((await t.readFrom(f, 7)).toString()).toBe('line 2\n');
        expect((await t.readFile(f)).toString()).toBe('line 1\nline 2\n');
        await expect(t.readFile(`${f}.missing`)).rejects.toMatchObject({ code: 'ENOENT' });
        expect(await t.list(join(f, 'nope'))).toBeUndefined();
        await t.run(['rm', '-f', f]);
      } finally {
        await t.close();
      }
    }
    delete process.env.BATCHPLAN_SSH_CONFIG;
  });

  it('a plan path with a space, a quote and a $ works remotely as locally', () => {
    const name = `we ird'$HOME"plan`;
    const p = remote('h1', config, ['plan', SPEC, '-o', name], ['--remote-dir', dir]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`plan ${join(dir, name)}: 1 stage, 2 tasks`);
    expect(existsSync(join(dir, name, 'plan.json'))).toBe(true);
    const local = cli(['status', join(dir, name), '--json']);
    const r = remote('h1', config, ['status', name, '--json'], ['--remote-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(local.stdout);
    // A second plan to the same place is refused, and leaves the first intact.
    const again = remote('h1', config, ['plan', SPEC, '-o', name], ['--remote-dir', dir]);
    expect(again.code).toBe(EXIT_CODES.E_PLAN_EXISTS);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('BATCHPLAN_REMOTE stands for --remote; generate-script -o writes there', () => {
    const env = sshEnv(config, { BATCHPLAN_REMOTE: 'h1' });
    const args = ['--remote-dir', dir, '--remote-batchplan', REMOTE_BATCHPLAN];
    expect(cli(['plan', SPEC, '-o', 'env.plan', ...args], { env }).code).toBe(0);
    const gen = (plan: string, out: string) => [
      'generate-script',
      plan,
      '2',
      '--runner',
      'slurm',
      '--time',
      '5:00',
      '-o',
      out,
      '--json',
    ];
    const g = cli([...gen('env.plan', 'env-scripts'), ...args], { env });
    expect(g.code).toBe(0);
    expect(readdirSync(join(dir, 'env-scripts'))).toContain('submit.sh');
    const local = cli(gen(join(dir, 'env.plan'), join(dir, 'env-local')));
    expect(JSON.parse(g.stdout).stages).toEqual(JSON.parse(local.stdout).stages);
  });

  it('a remote dir the user may not write: a clear error, nothing written there', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    const r = remote('h2', config, ['plan', SPEC, '-o', 'p'], ['--remote-dir', locked]);
    expect(r.code).toBe(EXIT_CODES.E_IO);
    expect(r.stderr).toMatch(/E_IO.*(Permission denied|not usable)/s);
    expect(readdirSync(locked)).toEqual([]);
  });
});

describe.runIf(up)('remote setup', () => {
  const config = sshConfig(dir);
  const home = execFileSync('getent', ['passwd', TEST_USER], { encoding: 'utf8' }).split(':')[5]!;
  afterAll(() => execFileSync('rm', ['-rf', join(home, '.batchplan')]));

  it('copies this batchplan into ~/.batchplan/<version> without npm; the command it prints works', () => {
    execFileSync('rm', ['-rf', join(home, '.batchplan')]);
    const r = cli(['remote', 'setup', 'h2', '--json'], { env: sshEnv(config) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { dir: string; command: string; installed: boolean; version: string };
    expect(out).toMatchObject({ dir: join(home, '.batchplan', out.version), installed: true });
    expect(existsSync(join(out.dir, 'node_modules', 'ssh2'))).toBe(false);
    expect(readdirSync(join(home, '.batchplan'))).toEqual([out.version]);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const p = cli(
      [
        'plan',
        SPEC,
        '-o',
        'setup.plan',
        '--remote',
        'h2',
        '--remote-dir',
        shared,
        '--remote-batchplan',
        out.command,
      ],
      {
        env: sshEnv(config),
      },
    );
    expect(p.code).toBe(0);
    const s = cli(
      ['status', join(shared, 'setup.plan'), '--remote', 'h2', '--remote-batchplan', out.command],
      {
        env: sshEnv(config),
      },
    );
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith(`plan ${join(shared, 'setup.plan')}\n`)).toBe(true);
    // Again: already there, nothing copied.
    const again = cli(['remote', 'setup', 'h2'], { env: sshEnv(config) });
    expect(again.stderr).toContain('is already in');
    expect(again.stdout).toBe(`--remote-batchplan '${out.command}' --batchplan-command '${out.command}'\n`);
  });
});

describe.runIf(up)('refusals', () => {
  const fresh = (name: string, content = '') => {
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'known_hosts'), content);
    return { config: sshConfig(d, join(d, 'known_hosts')), known: join(d, 'known_hosts') };
  };
  const hostKey = (t: string) => readFileSync(join(SSHD_DIR, `ssh_host_${t}_key.pub`), 'utf8').split(' ')[1]!;

  it('an unknown host key is refused with its fingerprint; --accept-new-host-key records it', () => {
    const { config, known } = fresh('unknown');
    const r = remote('h1', config, ['status', dir]);
    expect(r.code).toBe(EXIT_CODES.E_SSH_HOST_KEY);
    expect(r.stderr).toMatch(
      /host key of \[127\.0\.0\.1\]:2222 is not known: it offered ssh-\S+ key SHA256:\S+/,
    );
    expect(r.stderr).toContain('--accept-new-host-key');
    expect(readFileSync(known, 'utf8')).toBe('');
    const ok = remote('h1', config, ['status', join(dir, 'nope')], ['--accept-new-host-key']);
    expect(ok.stderr).toMatch(/added ssh-\S+ key SHA256:\S+ of \[127\.0\.0\.1\]:2222/);
    expect(ok.code).toBe(EXIT_CODES.E_PLAN_NOT_FOUND); // it got through, to the remote batchplan
    expect(readFileSync(known, 'utf8')).toMatch(/^\[127\.0\.0\.1\]:2222 ssh-/);
    const again = remote('h1', config, ['status', join(dir, 'nope')]);
    expect(again.code).toBe(EXIT_CODES.E_PLAN_NOT_FOUND);
    expect(again.stderr).not.toContain('added');
  });

  it('a changed host key is refused, even with --accept-new-host-key; a hashed entry is accepted', () => {
    const other = readFileSync(join(dir, 'unknown', 'known_hosts'), 'utf8').split(' ')[1]!;
    // Every key type the server has, each with another key's bytes.
    const wrong = ['ed25519', 'rsa']
      .map(
        (t) =>
          `[127.0.0.1]:2222 ${t === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519'} ${t === 'rsa' ? hostKey('ed25519') : other.replace(/.{4}$/, 'AAAA')}\n`,
      )
      .join('');
    const { config, known } = fresh('changed', wrong);
    const r = remote('h1', config, ['status', dir], ['--accept-new-host-key']);
    expect(r.code).toBe(EXIT_CODES.E_SSH_HOST_KEY);
    expect(r.stderr).toMatch(/has CHANGED: it now offers ssh-\S+ key SHA256:\S+/);
    expect(r.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:2222' -f ${known}`);
    expect(readFileSync(known, 'utf8')).toBe(wrong);

    const hashed = fresh('hashed', `[127.0.0.1]:2222 ssh-ed25519 ${hostKey('ed25519')}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', hashed.known], { stdio: 'ignore' });
    const h = remote('h1', hashed.config, ['status', join(dir, 'nope')]);
    expect(h.code).toBe(EXIT_CODES.E_PLAN_NOT_FOUND);
  });

  it('a wrong user or a key the host does not know: E_SSH_AUTH, saying what was tried', () => {
    const config = sshConfig(dir);
    const user = remote('nosuchuser@h1', config, ['status', dir]);
    expect(user.code).toBe(EXIT_CODES.E_SSH_AUTH);
    expect(user.stderr).toMatch(/refused user nosuchuser with every method tried \(.*id_ed25519\)/);
    const d = join(dir, 'wrongkey');
    mkdirSync(d);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'id')]);
    const wrongKey = sshConfig(
      d,
      join(SSHD_DIR, 'known_hosts'),
      `Host wrongkey\n  HostName 127.0.0.1\n  Port 2222\n  IdentityFile ${join(d, 'id')}\n  UserKnownHostsFile ${join(SSHD_DIR, 'known_hosts')}\n`,
    );
    const key = remote('wrongkey', wrongKey, ['status', dir]);
    expect(key.code).toBe(EXIT_CODES.E_SSH_AUTH);
    expect(key.stderr).toContain(join(d, 'id'));
  });

  it('a bad spec with --remote is reported before any connection is made', () => {
    const r = remote('127.0.0.1:2999', sshConfig(dir), ['plan', join(dir, 'no-such.yaml'), '-o', 'x']);
    expect(r.code).toBe(EXIT_CODES.E_SPEC_PARSE);
    expect(r.stderr).not.toContain('2999');
  });

  it('an unreachable port: E_SSH_CONNECT at once', () => {
    const t0 = Date.now();
    const r = remote('127.0.0.1:2999', sshConfig(dir), ['status', dir]);
    expect(r.code).toBe(EXIT_CODES.E_SSH_CONNECT);
    expect(r.stderr).toMatch(/cannot reach root@127\.0\.0\.1:2999: connection refused/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('the remote batchplan missing, or of another version: E_REMOTE_BATCHPLAN, nothing written', () => {
    const config = sshConfig(dir);
    const out = join(dir, 'never');
    const missing = cli(
      ['plan', SPEC, '-o', out, '--remote', 'h1', '--remote-batchplan', 'no-such-batchplan'],
      {
        env: sshEnv(config),
      },
    );
    expect(missing.code).toBe(EXIT_CODES.E_REMOTE_BATCHPLAN);
    expect(missing.stderr).toMatch(
      /batchplan cannot run on root@h1:2222: `no-such-batchplan --version` exited 127/,
    );
    expect(missing.stderr).toContain('batchplan remote setup h1');
    const fake = join(dir, 'old-batchplan');
    writeFileSync(fake, '#!/bin/sh\necho 0.0.1\n', { mode: 0o755 });
    const old = cli(['submit', out, '2', '--runner', 'slurm', '--remote', 'h1', '--remote-batchplan', fake], {
      env: sshEnv(config),
    });
    expect(old.code).toBe(EXIT_CODES.E_REMOTE_BATCHPLAN);
    expect(old.stderr).toMatch(/batchplan on root@h1:2222 is version 0\.0\.1; this one is \d+\.\d+\.\d+/);
    expect(existsSync(out)).toBe(false);
  });
});
