// A Transport that reaches another machine: besides argv commands and files it runs shell
// command lines there (for `cd "$SCRATCH/plans" && batchplan …`) and streams their output.
import { shellQuote } from '../util/shell-quote.js';
import type { CommandResult, Transport } from '../submit/transport.js';

export interface ExecIo {
  /** Called with output as it arrives (else it is collected). */
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
  stdin?: Buffer | string;
  /** Keep the command's stdin open until this aborts, then close it: the command reads EOF there
   *  (as it does when the connection dies). Without it stdin is closed at once. */
  holdStdin?: AbortSignal;
  /** Whether the command may run again after a reconnect (only for commands that change nothing). */
  idempotent?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RemoteTransport extends Transport {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  exec(command: string, io?: ExecIo): Promise<ExecResult>;
}

/** One argv as a remote shell command line: every word quoted, nothing expanded. */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** run() and has() for any RemoteTransport: queries, safe to repeat after a reconnect. */
export async function runArgv(t: RemoteTransport, argv: string[]): Promise<CommandResult> {
  const r = await t.exec(commandLine(argv), { idempotent: true });
  return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

export async function hasCommand(t: RemoteTransport, command: string): Promise<boolean> {
  return (await t.exec(`command -v ${shellQuote(command)} >/dev/null`, { idempotent: true })).exitCode === 0;
}

export function enoent(path: string, where: string): Error {
  return Object.assign(new Error(`${path}: no such file on ${where}`), { code: 'ENOENT' });
}

/** Write stdin and close it: at once, or when `holdStdin` aborts. */
export function endStdin(io: ExecIo, end: (data?: Buffer | string) => void): void {
  const hold = io.holdStdin;
  if (!hold || hold.aborted) return end(io.stdin);
  hold.addEventListener('abort', () => end(io.stdin), { once: true });
}
