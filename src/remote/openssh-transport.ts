// `--ssh openssh`: the system ssh behind the same Transport, for what ssh2 cannot do (OpenSSH
// certificates, GSSAPI, the user's ControlMaster and ssh_config in full). One master connection
// per invocation (-M, a control socket in a private temp directory); every command and file
// access is an `ssh -S socket` session over it. Host keys are ssh's own business:
// StrictHostKeyChecking=yes, or accept-new with --accept-new-host-key.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { tempName } from '../submit/transport.js';
import { shellQuote } from '../util/shell-quote.js';
import { formatDestination, type Destination } from './destination.js';
import { canPrompt, KBD_NEEDS_TTY, KBD_REFUSED_HINT, kbdNoTtyHint } from './prompt.js';
import { ConnectionLost, Reconnecting } from './reconnect.js';
import {
  endStdin,
  enoent,
  hasCommand,
  runArgv,
  type ExecIo,
  type ExecResult,
  type RemoteTransport,
} from './remote-transport.js';
import { resolveHost, sshConfigFile } from './ssh-config.js';
import type { SshOptions } from './ssh2-transport.js';

/** Exit code our file-access snippets use for "no such file" (ssh itself uses 255). */
const MISSING = 44;

/**
 * The master `ssh -M` under a few lines of shell that end it when their stdin, a pipe from us,
 * reaches EOF: when we die, SIGKILL included, the master goes too (and with it the connection,
 * which stops what runs there), and its control directory ($1) is removed. A TERM is passed on.
 */
const MASTER = [
  'd=$1; shift',
  'ssh "$@" </dev/null & p=$!',
  "trap 'kill $p 2>/dev/null' TERM INT HUP",
  // A background job's stdin is /dev/null unless redirected: hand the watcher ours on fd 3.
  'exec 3<&0',
  '{ cat <&3 >/dev/null; kill $p 2>/dev/null; rm -rf -- "$d"; } 2>/dev/null & w=$!',
  'exec 3<&- 0</dev/null',
  'rc=0; wait $p || rc=$?',
  'while kill -0 $p 2>/dev/null; do rc=0; wait $p || rc=$?; done',
  'kill $w 2>/dev/null',
  'exit $rc',
].join('\n');

export async function openOpenSsh(dest: Destination, opts: SshOptions = {}): Promise<RemoteTransport> {
  const t = new OpenSshTransport(dest, opts);
  await t.connect();
  return t;
}

class OpenSshTransport extends Reconnecting implements RemoteTransport {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly where: string;
  private readonly dir = mkdtempSync(join(tmpdir(), 'batchplan-ssh-'));
  private readonly base: string[];
  private master: ReturnType<typeof spawn> | undefined;

  constructor(
    private readonly dest: Destination,
    opts: SshOptions,
  ) {
    super(opts.note);
    const cfg = resolveHost(dest);
    this.user = cfg.user;
    this.host = cfg.hostName;
    this.port = cfg.port;
    this.where = formatDestination({ user: cfg.user, host: cfg.alias, port: cfg.port });
    const file = process.env.BATCHPLAN_SSH_CONFIG ? sshConfigFile() : undefined;
    this.base = [
      ...(file ? ['-F', file] : []),
      '-S',
      join(this.dir, 'control'),
      ...(dest.user ? ['-l', dest.user] : []),
      ...(dest.port ? ['-p', String(dest.port)] : []),
      '-o',
      `StrictHostKeyChecking=${opts.acceptNewHostKey ? 'accept-new' : 'yes'}`,
      ...(canPrompt() ? [] : ['-o', 'BatchMode=yes']),
    ];
  }

  protected isUp(): boolean {
    return this.master !== undefined && this.master.exitCode === null && this.master.signalCode === null;
  }

  protected markDown(): void {
    this.master?.kill();
    this.master = undefined;
  }

  override async connect(): Promise<void> {
    const tty = canPrompt();
    const master = spawn(
      'sh',
      ['-c', MASTER, 'sh', this.dir, ...this.base, '-M', '-N', '-o', 'ControlPersist=no', this.dest.host],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    master.stdin?.on('error', () => undefined);
    let said = '';
    // Kept for the error even on a terminal (there ssh asks on /dev/tty; what it says on stderr,
    // a banner or a refusal, is shown as well).
    master.stderr?.on('data', (b: Buffer) => {
      said += b.toString();
      if (tty) process.stderr.write(b);
    });
    const ended = new Promise<number>((res) => master.on('exit', (code) => res(code ?? 255)));
    for (;;) {
      const gone = await Promise.race([
        ended,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
      ]);
      if (gone !== undefined) throw this.mapError(said);
      if (await this.masterAnswers()) break;
    }
    this.master = master;
  }

  private mapError(said: string): BatchplanError {
    const text = said.trim().split('\n').filter(Boolean).slice(-6).join('\n') || '(ssh said nothing)';
    if (/host key|HOST IDENTIFICATION|authenticity of host/i.test(said))
      return new BatchplanError(
        'E_SSH_HOST_KEY',
        `ssh refused the host key of ${this.where}:\n${text}`,
        'Check the fingerprint with the host’s administrators, then run once with --accept-new-host-key (an unknown key only), or fix known_hosts as ssh says.',
      );
    if (/Permission denied/i.test(said)) {
      // "Permission denied (keyboard-interactive)." without a terminal: BatchMode=yes asked nothing.
      const kbd = /Permission denied \([^)]*keyboard-interactive/.test(said);
      const noTty = kbd && !canPrompt();
      return new BatchplanError(
        'E_SSH_AUTH',
        `${this.where} refused the login:\n${text}${noTty ? `\nIt wants keyboard-interactive; ${KBD_NEEDS_TTY} (ssh ran with BatchMode=yes, asking nothing)` : ''}`,
        noTty
          ? kbdNoTtyHint(this.dest.host)
          : kbd
            ? KBD_REFUSED_HINT
            : 'Check the user name, ssh-agent (ssh-add -l) and IdentityFile in ~/.ssh/config.',
      );
    }
    return new BatchplanError(
      'E_SSH_CONNECT',
      `cannot reach ${this.where}:\n${text}`,
      `Check the host and port: ssh -p ${this.port} ${this.user}@${this.host} true`,
    );
  }

  exec(command: string, io: ExecIo = {}): Promise<ExecResult> {
    return this.withRetry(
      io.idempotent === true,
      `\`${command}\``,
      () =>
        new Promise<ExecResult>((resolve, reject) => {
          const child = spawn('ssh', [...this.base, '-o', 'ControlMaster=no', this.dest.host, command], {
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          const out: Buffer[] = [];
          const errs: Buffer[] = [];
          child.stdout.on('data', (b: Buffer) => (io.stdout ? io.stdout(b) : out.push(b)));
          child.stderr.on('data', (b: Buffer) => (io.stderr ? io.stderr(b) : errs.push(b)));
          child.on('error', reject);
          child.on('close', (code, signal) => {
            const result = () =>
              resolve({
                exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
                stdout: Buffer.concat(out),
                stderr: Buffer.concat(errs),
              });
            // 255: ssh's own failure; it is a lost connection when the master is gone too.
            if (code !== 255) return result();
            void this.masterGoneSoon().then((gone) =>
              gone ? reject(new ConnectionLost(Buffer.concat(errs).toString().trim())) : result(),
            );
          });
          child.stdin.on('error', () => undefined); // the command ended without reading it
          endStdin(io, (data) => child.stdin.end(data ?? ''));
        }),
    );
  }

  /** Whether the master answers on its control socket (`ssh -O check`). Not spawnSync: the
   *  other operations' sessions go on while it asks (each check takes tens of ms, more when loaded). */
  private masterAnswers(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = spawn('ssh', [...this.base, '-O', 'check', this.dest.host], { stdio: 'ignore' });
      check.on('error', () => resolve(false));
      check.on('exit', (code) => resolve(code === 0));
    });
  }

  /** Whether the master is gone, or goes within a few seconds: a session cut by a drop ends with
   *  255 while the master may not have seen its own connection end yet (a loaded CI run read that
   *  as the remote command's exit 255, and wait ended instead of reconnecting). A command that
   *  really exits 255 keeps a live master and costs this wait. */
  private async masterGoneSoon(): Promise<boolean> {
    for (const until = Date.now() + 3000; ;) {
      if (!this.isUp()) return true;
      if (!(await this.masterAnswers())) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  run(argv: string[]) {
    return runArgv(this, argv);
  }

  has(command: string) {
    return hasCommand(this, command);
  }

  private async file(script: string, path: string, stdin?: Buffer): Promise<Buffer> {
    const r = await this.exec(script, { idempotent: true, ...(stdin ? { stdin } : {}) });
    if (r.exitCode === MISSING) throw enoent(path, this.where);
    if (r.exitCode !== 0)
      throw new BatchplanError(
        'E_IO',
        `${path} on ${this.where}: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}`,
      );
    return r.stdout;
  }

  readFile(path: string) {
    const q = shellQuote(path);
    return this.file(`test -f ${q} || exit ${MISSING}; cat -- ${q}`, path);
  }

  readFrom(path: string, offset: number) {
    const q = shellQuote(path);
    return this.file(`test -f ${q} || exit ${MISSING}; tail -c +${offset + 1} -- ${q}`, path);
  }

  async writeFile(path: string, data: string | Uint8Array, mode = 0o644) {
    const tmp = shellQuote(tempName(path));
    await this.file(
      `cat > ${tmp} && chmod ${mode.toString(8)} ${tmp} && mv -f -- ${tmp} ${shellQuote(path)}`,
      path,
      Buffer.from(data),
    );
  }

  async list(dir: string) {
    const q = shellQuote(dir);
    try {
      const out = await this.file(`test -d ${q} || exit ${MISSING}; cd -- ${q} && ls -A`, dir);
      return out.toString().split('\n').filter(Boolean).sort();
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async mkdir(dir: string) {
    await this.file(`mkdir -p -- ${shellQuote(dir)}`, dir);
  }

  async close() {
    this.stopReconnecting();
    spawnSync('ssh', [...this.base, '-O', 'exit', this.dest.host], { stdio: 'ignore' });
    this.master?.kill();
    this.master?.stdin?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
