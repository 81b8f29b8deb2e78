// A private sshd for one test (a copy of the project's config on a free port), so that dropping its
// connections or killing it touches nobody else's. Its process tree is found by ppid in /proc (never
// by name); a failed or killed test run never leaves it listening: every one started is stopped at
// exit, and its listener carries a parent-death signal for a worker that dies without an exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SSHD_DIR, sshConfig } from './sshd.js';

const SSHD = '/usr/sbin/sshd';
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const s of started) killTree(s.pid!);
});

export interface PrivateSshd {
  readonly alias: string;
  readonly port: number;
  readonly addr: string;
  /** A known_hosts file with its host keys for addr:port. */
  readonly knownHosts: string;
  /** An ssh_config (BATCHPLAN_SSH_CONFIG) naming `alias`, with a known_hosts for this port. */
  readonly config: string;
  /** Start (again, on the same port) and wait until it accepts a login. */
  start(): Promise<void>;
  /** The sshd processes of its open sessions (not the listener, not the users' commands). */
  sessions(): number[];
  /** The commands its sessions run now (a client past its handshake and login runs them). */
  commands(): number[];
  /** Kill the listener and every sshd process of every session: each client's connection drops.
   *  The sessions' own commands go on (sshd sends no SIGHUP to a session without a tty). */
  drop(): number[];
}

/** A port nobody listens on now (the kernel's choice). */
export function freePort(addr = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, addr, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** sshd under the name whose PAM stack (scripts/sshd/up.sh) asks a password: OpenSSH names its
 *  PAM service after the program. */
export const KBD_SSHD = join(SSHD_DIR, 'batchplan-sshd-kbd');
const KBD_CONFIG = [
  'UsePAM yes',
  'KbdInteractiveAuthentication yes',
  'AuthenticationMethods keyboard-interactive',
];

export async function privateSshd(
  dir: string,
  opts: {
    alias?: string;
    addr?: string;
    user?: string;
    name?: string;
    authorizedKeys?: string;
    /** Log in by keyboard-interactive only (a password through PAM; keys refused). */
    keyboardInteractive?: boolean;
    /** More sshd_config lines; each replaces the project's line of the same keyword. */
    config?: string[];
  } = {},
): Promise<PrivateSshd> {
  const alias = opts.alias ?? 'hdrop';
  const addr = opts.addr ?? '127.0.0.1';
  const port = await freePort(addr);
  const name = opts.name ?? `${alias}-${port}`;
  const conf = join(dir, `sshd_config.${name}`);
  const extra = [
    `Port ${port}`,
    `ListenAddress ${addr}`,
    'PidFile none',
    ...(opts.keyboardInteractive ? KBD_CONFIG : []),
    ...(opts.config ?? []),
  ];
  const replaced = new Set(extra.map((l) => l.split(' ')[0]!));
  writeFileSync(
    conf,
    readFileSync(join(SSHD_DIR, 'sshd_config'), 'utf8')
      .split('\n')
      .filter((l) => !replaced.has(l.split(' ')[0]!))
      .join('\n')
      .replace(/^AuthorizedKeysFile .*$/m, (l) =>
        opts.authorizedKeys ? `AuthorizedKeysFile ${opts.authorizedKeys}` : l,
      )
      .concat(`\n${extra.join('\n')}\n`),
  );
  const binary = opts.keyboardInteractive ? KBD_SSHD : SSHD;
  const known = join(dir, `known_hosts.${name}`);
  writeFileSync(
    known,
    ['ed25519', 'rsa']
      .map((t) => {
        const key = readFileSync(join(SSHD_DIR, `ssh_host_${t}_key.pub`), 'utf8')
          .split(' ')
          .slice(0, 2);
        return `[${addr}]:${port} ${key.join(' ')}\n`;
      })
      .join(''),
  );
  const config = sshConfig(
    dir,
    known,
    `Host ${alias}\n  HostName ${addr}\n  Port ${port}\n  User ${opts.user ?? 'root'}\n`,
  );
  let sshd: ChildProcess | undefined;
  const self: PrivateSshd = {
    alias,
    port,
    addr,
    knownHosts: known,
    config,
    async start() {
      if (sshd && alive(sshd.pid!)) throw new Error(`the private sshd on port ${port} already runs`);
      // setpriv: the listener dies with this worker even when the worker is killed.
      const s = spawn('setpriv', ['--pdeathsig', 'KILL', binary, '-D', '-e', '-f', conf], {
        stdio: 'ignore',
      });
      started.add(s);
      sshd = s;
      s.on('exit', () => started.delete(s));
      for (let i = 0; i < 100; i++) {
        if (s.exitCode !== null || s.signalCode !== null)
          throw new Error(`the private sshd on ${addr}:${port} exited (${s.exitCode ?? s.signalCode})`);
        const r = await login(config, alias);
        // Keys refused, nothing asked (BatchMode): up when it says it wants keyboard-interactive.
        if (
          opts.keyboardInteractive
            ? /Permission denied \(keyboard-interactive\)/.test(r.stderr)
            : r.code === 0
        )
          return;
        await new Promise((r) => setTimeout(r, 100));
      }
      self.drop();
      throw new Error(`the private sshd on ${addr}:${port} did not accept a login`);
    },
    sessions: () => (sshd ? sshdTree(sshd.pid!).filter((p) => p !== sshd!.pid) : []),
    commands() {
      const sessions = new Set(self.sessions());
      return readdirSync('/proc')
        .map(Number)
        .filter((pid) => pid && sessions.has(stat(pid)?.ppid ?? 0) && !isSshd(pid));
    },
    drop() {
      if (!sshd) return [];
      const killed = killTree(sshd.pid!);
      sshd = undefined;
      return killed.slice(1);
    },
  };
  return self;
}

function login(config: string, alias: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', alias, 'true'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => resolve({ code: code ?? 255, stderr }));
    c.on('error', () => resolve({ code: 255, stderr }));
  });
}

function alive(pid: number): boolean {
  const st = stat(pid);
  return st !== undefined && st.state !== 'Z';
}

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function isSshd(pid: number): boolean {
  try {
    // OpenSSH 9.8+ runs each session as sshd-session (and sshd-auth): the same tree.
    return /^\/usr\/(sbin\/sshd|lib\/openssh\/sshd-(session|auth))$/.test(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return false;
  }
}

/** `root` (the listener) and every sshd descendant, parents first; the descent stops at a process
 *  that is not sshd (a session's own command, which is left running). */
export function sshdTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!pid) continue;
    const st = stat(pid);
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) if (isSshd(c)) walk(c);
  };
  if (stat(root)) walk(root);
  return out;
}

/** SIGKILL the sshd tree under `root` and wait until each is gone. The listener is stopped first,
 *  so that it forks no session between the snapshot and the kill. */
function killTree(root: number): number[] {
  signal(root, 'SIGSTOP');
  const tree = sshdTree(root);
  for (const p of tree) signal(p, 'SIGKILL');
  const until = Date.now() + 5000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (tree.some(alive) && Date.now() < until) Atomics.wait(nap, 0, 0, 20);
  return tree;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone already */
  }
}
