// The batchplan on the remote host: run-partition runs there anyway, so commands that read or
// write a remote plan run there too (same flags, output, --json and exit codes by construction).
// Its version must be this one: a plan, a journal or a submission record written by another
// version is exactly the silent mismatch to refuse. The check and the command go in one exec
// (one round trip): `--version` first, the command only if it matches; and the command itself is
// told the version it must be (BATCHPLAN_EXPECT_VERSION, checked in src/cli.ts).
import { constants } from 'node:os';
import { BatchplanError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { VERSION } from '../version.js';
import { cdInto } from './remote-dir.js';
import { commandLine, type ExecIo, type RemoteTransport } from './remote-transport.js';
import { stoppedAtEof } from './watched.js';

export interface RemoteBatchplan {
  t: RemoteTransport;
  /** Shell code that runs batchplan there (--remote-batchplan; default `batchplan`). */
  command: string;
  remoteDir?: string;
  /** The destination as the user gave it, for the hints. */
  label: string;
}

/** Our exit code when the version check fails (batchplan itself never exits 219). */
const CHECK_FAILED = 219;
const MARK = 'batchplan-version-check:';

/** Shell code: check the remote version, then (when given) run `batchplan <argv>` from --remote-dir;
 *  `watched`: stopped when our end of the session's stdin closes (./watched.ts). */
function remoteLine(rb: RemoteBatchplan, argv?: string[], watched = false): string {
  const check =
    `v=$(${rb.command} --version 2>&1); rc=$?; ` +
    `if [ "$rc" != 0 ] || [ "$v" != ${shellQuote(VERSION)} ]; then printf '${MARK} %s %s\\n' "$rc" "$(printf '%s' "$v" | tail -n 1)" >&2; exit ${CHECK_FAILED}; fi`;
  if (!argv) return check;
  const run = `${rb.command} ${commandLine(argv)}`;
  return `${check}; export BATCHPLAN_EXPECT_VERSION=${shellQuote(VERSION)}; ${cdInto(rb.remoteDir)} || exit $?\n${watched ? stoppedAtEof(run) : run}`;
}

function checkFailed(rb: RemoteBatchplan, stderr: string): BatchplanError {
  const line = stderr.split('\n').find((l) => l.startsWith(MARK)) ?? '';
  const m = /^\S+ (\d+) ?(.*)$/.exec(line);
  const rc = Number(m?.[1] ?? -1);
  const said = (m?.[2] ?? '').trim();
  const setup = `Install this version there with: batchplan remote setup ${rb.label} (it prints the --remote-batchplan to pass).`;
  if (rc !== 0)
    return new BatchplanError(
      'E_REMOTE_BATCHPLAN',
      `batchplan cannot run on ${rb.t.where}: \`${rb.command} --version\` exited ${rc}${said ? `: ${said}` : ''}`,
      `${setup} Or point --remote-batchplan at a batchplan ${VERSION} there (a non-interactive ssh shell may not read your profile's PATH).`,
    );
  return new BatchplanError(
    'E_REMOTE_BATCHPLAN',
    `batchplan on ${rb.t.where} is version ${said || '(none)'}; this one is ${VERSION}, and both must be the same`,
    setup,
  );
}

export async function checkRemoteVersion(rb: RemoteBatchplan): Promise<void> {
  const r = await rb.t.exec(remoteLine(rb), { idempotent: true });
  if (r.exitCode !== 0) throw checkFailed(rb, r.stderr.toString('utf8'));
}

/** Run `batchplan <argv>` there, output streamed to ours; its exit code. Ctrl-C, SIGTERM or SIGHUP
 *  here stops it there at once (its stdin closes: ./watched.ts); we then exit 128+n as it would.
 *  Not `stoppable` (submit, cancel): it runs to its end there whatever becomes of us, so that its
 *  submission record names every job it submitted (a submit stopped between an sbatch and its
 *  record would let a second submit submit a stage twice). */
export async function runRemote(rb: RemoteBatchplan, argv: string[], stoppable = true): Promise<number> {
  if (!stoppable) return runOnce(rb, remoteLine(rb, argv), {});
  const hold = new AbortController();
  let stopped: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals) => {
    stopped ??= sig;
    hold.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, stop);
  try {
    const code = await runOnce(rb, remoteLine(rb, argv, true), { holdStdin: hold.signal });
    return stopped ? 128 + (constants.signals[stopped] ?? 0) : code;
  } finally {
    for (const s of signals) process.off(s, stop);
  }
}

async function runOnce(rb: RemoteBatchplan, line: string, io: ExecIo): Promise<number> {
  let marker = '';
  const r = await rb.t.exec(line, {
    stdout: (b) => process.stdout.write(b),
    // The check's own line is ours to report, not the user's to read raw.
    stderr: (b) => (b.toString().startsWith(MARK) ? (marker += b.toString()) : process.stderr.write(b)),
    ...io,
  });
  if (r.exitCode === CHECK_FAILED && marker) throw checkFailed(rb, marker);
  return r.exitCode;
}

/** Run `batchplan <argv>` there and parse its --json output (a failure shows its stderr). */
export async function remoteJson<T>(rb: RemoteBatchplan, argv: string[]): Promise<T> {
  const r = await rb.t.exec(remoteLine(rb, argv), { idempotent: true });
  if (r.exitCode === CHECK_FAILED) throw checkFailed(rb, r.stderr.toString('utf8'));
  if (r.exitCode !== 0) {
    process.stderr.write(r.stderr);
    throw new RemoteExit(r.exitCode);
  }
  return JSON.parse(r.stdout.toString('utf8')) as T;
}

/** The remote batchplan failed and said why on our stderr: exit with its code. */
export class RemoteExit extends Error {
  constructor(readonly exitCode: number) {
    super(`remote batchplan exited ${exitCode}`);
  }
}
