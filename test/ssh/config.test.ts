// ssh_config resolution, known_hosts matching and the remote-dir word: pure, no sshd needed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDestination } from '../../src/remote/destination.js';
import { addHostKey, checkHostKey, fingerprint, knownHostsName } from '../../src/remote/known-hosts.js';
import { expandableWord } from '../../src/remote/remote-dir.js';
import { resolveHost } from '../../src/remote/ssh-config.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-sshconf-');

describe('--remote destination', () => {
  it('takes [user@]host[:port], IPv6 in brackets, and refuses anything else', () => {
    expect(parseDestination('me@login.org:2222')).toEqual({ user: 'me', host: 'login.org', port: 2222 });
    expect(parseDestination('login.org')).toEqual({ host: 'login.org' });
    expect(parseDestination('[::1]:22')).toEqual({ host: '::1', port: 22 });
    for (const bad of ['', 'me@', 'host:0', 'host:99999', 'a b', 'host:port'])
      expect(() => parseDestination(bad), bad).toThrow(/not \[user@\]host\[:port\]/);
  });
});

describe('ssh_config', () => {
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `# comment
Host *.cluster.org !bad.cluster.org
  HostName %h.internal
  User alice
  IdentityFile ~/.ssh/id_cluster
Host login?.cluster.org
  User bob
  Port 2200
  ProxyJump gw1,bob@gw2:2201
  ServerAliveInterval=30
Host *
  IdentityFile %d/.ssh/id_default
  Port 22
  UserKnownHostsFile "${dir}/known hosts" ${dir}/kh2
`,
  );

  it('first value wins, Host patterns with ? and negation, IdentityFile accumulates', () => {
    const c = resolveHost({ host: 'login1.cluster.org' }, file);
    expect(c).toMatchObject({
      hostName: 'login1.cluster.org.internal',
      user: 'alice',
      port: 2200,
      proxyJump: ['gw1', 'bob@gw2:2201'],
      serverAliveInterval: 30,
      userKnownHostsFiles: [`${dir}/known hosts`, `${dir}/kh2`],
    });
    expect(c.identityFiles).toHaveLength(2);
    expect(c.identityFiles[0]).toMatch(/\/\.ssh\/id_cluster$/);
  });

  it('the command line wins over the file; a negated pattern excludes its host', () => {
    expect(resolveHost({ host: 'login1.cluster.org', user: 'me', port: 7 }, file)).toMatchObject({
      user: 'me',
      port: 7,
    });
    const bad = resolveHost({ host: 'bad.cluster.org' }, file);
    expect(bad).toMatchObject({ hostName: 'bad.cluster.org', port: 22, proxyJump: [] });
    expect(bad.user).not.toBe('alice');
  });
});

describe('known_hosts', () => {
  // A real key, from ssh-keygen, and a second one standing for a changed key.
  const keyBlob = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    return Buffer.from(readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ')[1]!, 'base64');
  };
  const key = keyBlob('k1');
  const other = keyBlob('k2');

  it('names a port other than 22 as [host]:port, and fingerprints as ssh-keygen -l does', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
    const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'k1.pub')], { encoding: 'utf8' });
    expect(printed).toContain(fingerprint(key));
  });

  it('matches plain, wildcard, negated and hashed entries; tells unknown from changed', () => {
    const kh = join(dir, 'kh');
    const line = (pat: string, b: Buffer) => `${pat} ssh-ed25519 ${b.toString('base64')}\n`;
    writeFileSync(kh, line('[a.org]:2222,b.org', key) + line('*.lab,!evil.lab', key) + '# comment\n');
    expect(checkHostKey([kh], '[a.org]:2222', key).kind).toBe('known');
    expect(checkHostKey([kh], 'a.org', key).kind).toBe('unknown');
    expect(checkHostKey([kh], 'x.lab', key).kind).toBe('known');
    expect(checkHostKey([kh], 'evil.lab', key).kind).toBe('unknown');
    expect(checkHostKey([kh], 'b.org', other)).toMatchObject({ kind: 'changed', file: kh, line: 1 });
    // Hashed as ssh-keygen -H writes them, and as accept-new writes them under HashKnownHosts yes.
    const hashed = join(dir, 'kh-hashed');
    writeFileSync(hashed, line('[c.org]:2200', key));
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    expect(checkHostKey([hashed], '[c.org]:2200', key).kind).toBe('known');
    expect(checkHostKey([hashed], '[c.org]:2201', key).kind).toBe('unknown');
    addHostKey(hashed, 'd.org', other, true);
    expect(checkHostKey([hashed], 'd.org', other).kind).toBe('known');
    expect(readFileSync(hashed, 'utf8')).not.toContain('d.org');
    // ssh itself reads what we wrote.
    expect(execFileSync('ssh-keygen', ['-F', 'd.org', '-f', hashed], { encoding: 'utf8' })).toContain(
      'd.org',
    );
  });

  it('refuses a key marked @revoked', () => {
    const kh = join(dir, 'kh-revoked');
    writeFileSync(
      kh,
      `@revoked * ssh-ed25519 ${key.toString('base64')}\nz.org ssh-ed25519 ${key.toString('base64')}\n`,
    );
    expect(checkHostKey([kh], 'z.org', key).kind).toBe('revoked');
  });
});

describe('--remote-dir word', () => {
  it('expands $NAME, ${NAME} and a leading ~ in the remote shell, and nothing else', () => {
    const sh = (word: string) =>
      execFileSync('sh', ['-c', `printf %s ${word}`], {
        env: { HOME: '/home/me', SCRATCH: '/scratch/me', PATH: process.env.PATH },
        encoding: 'utf8',
      });
    expect(sh(expandableWord('$SCRATCH/plans'))).toBe('/scratch/me/plans');
    expect(sh(expandableWord('~/x ${SCRATCH}'))).toBe('/home/me/x /scratch/me');
    expect(sh(expandableWord('a"b`id`$(id)\\c $ $1'))).toBe('a"b`id`$(id)\\c $ $1');
    expect(sh(expandableWord("it's"))).toBe("it's");
  });
});

describe('the remote end', () => {
  it('refuses to run when the caller over SSH is another version (BATCHPLAN_EXPECT_VERSION)', () => {
    const r = cli(['status', dir], { env: { BATCHPLAN_EXPECT_VERSION: '9.9.9' } });
    expect(r.code).toBe(19);
    expect(r.stderr).toMatch(/E_REMOTE_BATCHPLAN.*the batchplan that called it over SSH is 9\.9\.9/);
  });
});
