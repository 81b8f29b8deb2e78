// The SSH transport on ssh2: one connection per batchplan invocation, reused by every command
// (exec channels) and file access (one SFTP session). Authentication as OpenSSH users expect
// (ssh-agent, then the IdentityFiles or ssh's default keys, then keyboard-interactive on a TTY),
// host keys checked against known_hosts (./known-hosts.ts). A connection that drops after it was
// up is opened again with backoff, said on stderr; commands that may not run twice are not retried.
// ssh2 is imported here only, lazily (never on run-partition's import graph).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as ssh2Module from 'ssh2';
import type { AuthenticationType, Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { BatchplanError } from '../errors.js';
import { tempName } from '../submit/transport.js';
import { shellQuote } from '../util/shell-quote.js';
import { parseDestination, formatDestination, type Destination } from './destination.js';
import {
  addHostKey,
  checkHostKey,
  fingerprint,
  keyType,
  knownHostsName,
  knownTypes,
  type HostKeyVerdict,
} from './known-hosts.js';
import { canPrompt, KBD_NEEDS_TTY, KBD_REFUSED_HINT, kbdNoTtyHint, promptHidden } from './prompt.js';
import {
  endStdin,
  enoent,
  hasCommand,
  runArgv,
  type ExecIo,
  type ExecResult,
  type RemoteTransport,
} from './remote-transport.js';
import { ConnectionLost, Reconnecting } from './reconnect.js';
import { resolveHost, type HostConfig } from './ssh-config.js';

type Ssh2 = typeof ssh2Module;

export interface SshOptions {
  /** StrictHostKeyChecking=accept-new: add an unknown host's key; a changed key is still refused. */
  acceptNewHostKey?: boolean;
  /** Where reconnects are said (stderr by default). */
  note?: (message: string) => void;
}

const DEFAULT_KEYS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_dsa'];
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export async function openSsh2(dest: Destination, opts: SshOptions = {}): Promise<RemoteTransport> {
  // ssh2 is CommonJS: Node detects only some of its names as exports; the default has them all.
  const mod = (await import('ssh2')) as Ssh2 & { default?: Ssh2 };
  const t = new Ssh2Transport(mod.default ?? mod, resolveHost(dest), opts);
  await t.connect();
  return t;
}

class Ssh2Transport extends Reconnecting implements RemoteTransport {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly where: string;
  private clients: Client[] = [];
  private client: Client | undefined;
  private sftpP: Promise<SFTPWrapper> | undefined;

  constructor(
    private readonly ssh2: Ssh2,
    private readonly cfg: HostConfig,
    private readonly opts: SshOptions,
  ) {
    super(opts.note);
    this.user = cfg.user;
    this.host = cfg.hostName;
    this.port = cfg.port;
    this.where = formatDestination({ user: cfg.user, host: cfg.alias, port: cfg.port });
  }

  /** Open the connection, through every ProxyJump hop. Errors are typed and say what to do. */
  override async connect(): Promise<void> {
    for (const c of this.clients) c.end(); // what is left of a connection that dropped
    this.clients = [];
    const hops = this.cfg.proxyJump.map((h) => resolveHost(parseDestination(h)));
    let sock: ClientChannel | undefined;
    const clients: Client[] = [];
    try {
      for (const [k, hop] of [...hops, this.cfg].entries()) {
        const c = await this.connectOne(hop, sock, k < hops.length);
        clients.push(c);
        if (k < hops.length) {
          const next = k + 1 < hops.length ? hops[k + 1]! : this.cfg;
          sock = await new Promise<ClientChannel>((res, rej) =>
            c.forwardOut('127.0.0.1', 0, next.hostName, next.port, (err, ch) => (err ? rej(err) : res(ch))),
          );
        }
      }
    } catch (err) {
      for (const c of clients) c.end();
      throw err;
    }
    this.clients = clients;
    this.client = clients.at(-1)!;
    this.sftpP = undefined;
    this.client.on('close', () => {
      if (this.client === clients.at(-1)) this.client = undefined;
    });
  }

  private connectOne(cfg: HostConfig, sock: ClientChannel | undefined, isJump: boolean): Promise<Client> {
    const c = new this.ssh2.Client();
    const name = knownHostsName(cfg.hostName, cfg.port);
    let verdict: { v: HostKeyVerdict; blob: Buffer } | undefined;
    const where = formatDestination({ user: cfg.user, host: cfg.alias, port: cfg.port });
    const tried: string[] = [];
    // What the server said it accepts, for the refusal (keyboard-interactive off a terminal).
    const offered = new Set<string>();
    const types = knownTypes(cfg.userKnownHostsFiles, name);
    const config: ConnectConfig = {
      host: cfg.hostName,
      port: cfg.port,
      username: cfg.user,
      readyTimeout: (cfg.connectTimeout ?? 20) * 1000,
      ...(cfg.serverAliveInterval > 0
        ? { keepaliveInterval: cfg.serverAliveInterval * 1000, keepaliveCountMax: cfg.serverAliveCountMax }
        : {}),
      ...(sock ? { sock } : {}),
      // Offer the algorithms of the keys known for this host first, as ssh does.
      ...(types.length
        ? {
            algorithms: {
              serverHostKey: {
                prepend: types.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []),
              } as never,
            },
          }
        : {}),
      hostVerifier: (blob: Buffer) => {
        const v = checkHostKey(cfg.userKnownHostsFiles, name, blob);
        verdict = { v, blob };
        if (v.kind === 'known') return true;
        if (v.kind === 'unknown' && this.opts.acceptNewHostKey) {
          addHostKey(cfg.userKnownHostsFiles[0]!, name, blob, cfg.hashKnownHosts);
          this.say(
            `added ${keyType(blob)} key ${fingerprint(blob)} of ${name} to ${cfg.userKnownHostsFiles[0]} (--accept-new-host-key)`,
          );
          return true;
        }
        return false;
      },
      authHandler: this.authMethods(cfg, tried, offered) as never,
    };
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      c.once('ready', () => {
        ready = true;
        resolve(c);
      });
      // After 'ready' an error (a reset, a keepalive timeout) is followed by 'close', which is
      // what marks the connection down; without a listener it would crash the process.
      c.on('error', (err: Error & { level?: string; code?: string }) => {
        if (ready) return;
        c.end();
        reject(this.mapError(err, cfg, where, verdict, { tried, offered }, isJump));
      });
      // A host that closes once versions are exchanged (sshd's MaxStartups, a host going down as a
      // reconnect reaches it) gets 'close' from ssh2 and no 'error': without this the connect, and a
      // reconnect under `wait`, would wait forever. After an 'error' the promise is settled already.
      c.once('close', () => {
        if (!ready)
          reject(
            this.mapError(
              new Error('the host closed the connection during the SSH handshake'),
              cfg,
              where,
              verdict,
              { tried, offered },
              isJump,
            ),
          );
      });
      c.connect(config);
    });
  }

  /** The methods to try, in OpenSSH's order; `tried` collects what we offered and `offered` what
   *  the server accepts, for the error. */
  private authMethods(cfg: HostConfig, tried: string[], offered: Set<string>) {
    const methods: (() => Promise<unknown>)[] = [];
    const agent = process.env.SSH_AUTH_SOCK;
    if (agent && !cfg.identitiesOnly)
      methods.push(async () => {
        tried.push('ssh-agent');
        return { type: 'agent', username: cfg.user, agent };
      });
    const files = cfg.identityFiles.length
      ? cfg.identityFiles
      : DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k));
    for (const file of files)
      methods.push(async () => {
        if (!existsSync(file)) return null;
        const key = readFileSync(file);
        let passphrase: string | undefined;
        const parsed = this.ssh2.utils.parseKey(key);
        if (parsed instanceof Error) {
          if (!/passphrase|encrypted/i.test(parsed.message)) {
            tried.push(`${file} (unreadable: ${parsed.message})`);
            return null;
          }
          if (!canPrompt()) {
            tried.push(`${file} (needs its passphrase: add it to ssh-agent)`);
            return null;
          }
          passphrase = await promptHidden(`Enter passphrase for key '${file}': `);
        }
        tried.push(file);
        return { type: 'publickey', username: cfg.user, key, ...(passphrase ? { passphrase } : {}) };
      });
    if (canPrompt())
      methods.push(async () => {
        tried.push('keyboard-interactive');
        return {
          type: 'keyboard-interactive',
          username: cfg.user,
          prompt: (
            _name: string,
            _instr: string,
            _lang: string,
            prompts: { prompt: string; echo?: boolean }[],
            finish: (answers: string[]) => void,
          ) => {
            void (async () => {
              const answers: string[] = [];
              for (const p of prompts) answers.push(await promptHidden(p.prompt, p.echo === true));
              finish(answers);
            })();
          },
        };
      });
    let k = 0;
    return (left: AuthenticationType[] | null, _partial: boolean | null, next: (m: unknown) => void) => {
      for (const m of left ?? []) offered.add(m);
      const step = async (): Promise<void> => {
        while (k < methods.length) {
          const m = await methods[k++]!();
          if (m) return next(m);
        }
        next(false);
      };
      void step();
    };
  }

  private mapError(
    err: Error & { level?: string; code?: string },
    cfg: HostConfig,
    where: string,
    verdict: { v: HostKeyVerdict; blob: Buffer } | undefined,
    auth: { tried: string[]; offered: Set<string> },
    isJump: boolean,
  ): BatchplanError {
    const { tried, offered } = auth;
    const via = isJump ? ' (a ProxyJump hop)' : '';
    const name = knownHostsName(cfg.hostName, cfg.port);
    if (verdict && verdict.v.kind !== 'known') {
      const { v, blob } = verdict;
      const fp = `${keyType(blob)} key ${fingerprint(blob)}`;
      const files = cfg.userKnownHostsFiles.join(', ');
      if (v.kind === 'unknown')
        return new BatchplanError(
          'E_SSH_HOST_KEY',
          `the host key of ${name}${via} is not known: it offered ${fp}, and ${files} has no key of ${name}`,
          `Check the fingerprint with the host's administrators (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there), then run once with --accept-new-host-key, or ssh ${cfg.alias} once and answer yes.`,
        );
      return new BatchplanError(
        'E_SSH_HOST_KEY',
        v.kind === 'revoked'
          ? `the host key of ${name}${via} (${fp}) is revoked in ${v.file}:${v.line}`
          : `the host key of ${name}${via} has CHANGED: it now offers ${fp}, which differs from ${v.file}:${v.line}. Someone may be intercepting the connection, or the host was reinstalled`,
        v.kind === 'revoked'
          ? 'Refused: ask the host’s administrators.'
          : `Ask the host’s administrators whether its key changed; only then remove the old key with: ssh-keygen -R '${name}' -f ${v.file} (--accept-new-host-key never replaces a changed key)`,
      );
    }
    if (err.level === 'client-authentication') {
      const refused = `${where}${via} refused user ${cfg.user} with every method tried (${tried.join(', ') || 'none: no ssh-agent, no key file'})`;
      // A one-time password or a password, asked only on a terminal: say so, not "check your key".
      if (offered.has('keyboard-interactive') && !tried.includes('keyboard-interactive'))
        return new BatchplanError(
          'E_SSH_AUTH',
          `${refused}; it accepts ${[...offered].join(', ')}; ${KBD_NEEDS_TTY}`,
          kbdNoTtyHint(cfg.alias),
        );
      return new BatchplanError(
        'E_SSH_AUTH',
        refused,
        tried.includes('keyboard-interactive')
          ? KBD_REFUSED_HINT
          : 'Check the user name (--remote user@host, or User in ~/.ssh/config), load your key into ssh-agent (ssh-add), or name it with IdentityFile in ~/.ssh/config.',
      );
    }
    return new BatchplanError(
      'E_SSH_CONNECT',
      `cannot reach ${where}${via}: ${err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens on that port)' : err.message}`,
      `Check the host and port (ssh -p ${cfg.port} ${cfg.user}@${cfg.hostName} true)${cfg.file ? `, and its entry in ${cfg.file}` : ''}.`,
    );
  }

  protected isUp(): boolean {
    return this.client !== undefined;
  }

  protected markDown(): void {
    for (const c of this.clients) c.end(); // the jump hops of a dead connection too
    this.clients = [];
    this.client = undefined;
    this.sftpP = undefined;
  }

  private onClient<T>(idempotent: boolean, what: string, op: (c: Client) => Promise<T>): Promise<T> {
    return this.withRetry(idempotent, what, () => op(this.client!));
  }

  exec(command: string, io: ExecIo = {}): Promise<ExecResult> {
    return this.onClient(
      io.idempotent === true,
      `\`${command}\``,
      (c) =>
        new Promise<ExecResult>((resolve, reject) => {
          c.exec(command, (err, stream) => {
            // An exec channel that cannot even open: the connection is gone.
            if (err) return reject(new ConnectionLost(err.message));
            const out: Buffer[] = [];
            const errs: Buffer[] = [];
            stream.on('data', (b: Buffer) => (io.stdout ? io.stdout(b) : out.push(b)));
            stream.stderr.on('data', (b: Buffer) => (io.stderr ? io.stderr(b) : errs.push(b)));
            stream.on('close', (code: number | null | undefined, signal?: string) => {
              if (code === undefined || code === null) {
                if (signal)
                  return resolve({
                    exitCode: 128 + 15,
                    stdout: Buffer.concat(out),
                    stderr: Buffer.concat(errs),
                  });
                return reject(new ConnectionLost('channel closed without an exit status'));
              }
              resolve({ exitCode: code, stdout: Buffer.concat(out), stderr: Buffer.concat(errs) });
            });
            endStdin(io, (data) => stream.end(data));
          });
        }),
    );
  }

  run(argv: string[]) {
    return runArgv(this, argv);
  }

  has(command: string) {
    return hasCommand(this, command);
  }

  private sftp(c: Client): Promise<SFTPWrapper> {
    if (!this.sftpP)
      this.sftpP = new Promise<SFTPWrapper>((res, rej) =>
        c.sftp((err, s) => (err ? rej(new ConnectionLost(err.message)) : res(s))),
      );
    return this.sftpP;
  }

  /** An SFTP call: status 2 (no such file) becomes ENOENT; a dead connection is retried. */
  private sftpOp<T>(
    what: string,
    fn: (s: SFTPWrapper, done: (err: unknown, v?: T) => void) => void,
  ): Promise<T> {
    return this.onClient(true, what, async (c) => {
      const s = await this.sftp(c);
      return new Promise<T>((res, rej) =>
        fn(s, (err, v) => {
          if (!err) return res(v as T);
          const e = err as Error & { code?: number | string };
          if (e.code === 2) return rej(enoent(what, this.where));
          if (!this.client || e.message === 'No response from server')
            return rej(new ConnectionLost(e.message));
          rej(
            new BatchplanError(
              'E_IO',
              `${what} on ${this.where} failed: ${e.message}`,
              e.code === 3 ? `${this.user} may not write there: choose another --remote-dir.` : undefined,
            ),
          );
        }),
      );
    });
  }

  readFile(path: string) {
    return this.sftpOp<Buffer>(path, (s, done) => s.readFile(path, done));
  }

  readFrom(path: string, offset: number) {
    return this.sftpOp<Buffer>(path, (s, done) =>
      s.open(path, 'r', (err, h) => {
        if (err) return done(err);
        s.fstat(h, (err2, st) => {
          if (err2) return s.close(h, () => done(err2));
          const size = Math.max(0, (st.size ?? 0) - offset);
          const buf = Buffer.alloc(size);
          let got = 0;
          const step = () => {
            if (got >= size) return s.close(h, () => done(null, buf.subarray(0, got)));
            s.read(h, buf, got, Math.min(size - got, 1 << 16), offset + got, (err3, n) => {
              if (err3 || n === 0)
                return s.close(h, () => (err3 ? done(err3) : done(null, buf.subarray(0, got))));
              got += n;
              step();
            });
          };
          step();
        });
      }),
    );
  }

  async writeFile(path: string, data: string | Uint8Array, mode = 0o644) {
    const tmp = tempName(path);
    await this.sftpOp<void>(path, (s, done) => s.writeFile(tmp, Buffer.from(data), { mode }, (e) => done(e)));
    await this.sftpOp<void>(path, (s, done) => s.ext_openssh_rename(tmp, path, (e) => done(e)));
  }

  list(dir: string) {
    return this.sftpOp<string[]>(dir, (s, done) =>
      s.readdir(dir, (err, entries) =>
        err
          ? done(err)
          : done(
              null,
              entries
                .map((e) => e.filename)
                .filter((n) => n !== '.' && n !== '..')
                .sort(),
            ),
      ),
    ).catch((err: { code?: string }) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  async mkdir(dir: string) {
    const r = await this.exec(`mkdir -p -- ${shellQuote(dir)}`, { idempotent: true });
    if (r.exitCode !== 0)
      throw new BatchplanError(
        'E_IO',
        `cannot create ${dir} on ${this.where}: ${r.stderr.toString().trim()}`,
        `${this.user} may not write there: choose another --remote-dir.`,
      );
  }

  async close() {
    this.stopReconnecting();
    for (const c of this.clients.reverse()) c.end();
  }
}
