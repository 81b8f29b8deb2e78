// The batchplan on the remote host: run-partition runs there anyway, so commands that read or
// write a remote plan run there too (same flags, output, --json and exit codes by construction).
// Its version must be this one: a plan, a journal or a submission record written by another
// version is exactly the silent mismatch to refuse.
import { BatchplanError } from '../errors.js';
import { VERSION } from '../version.js';
import { cdInto } from './remote-dir.js';
import { commandLine, type ExecIo, type RemoteTransport } from './remote-transport.js';

export interface RemoteBatchplan {
  t: RemoteTransport;
  /** Shell code that runs batchplan there (--remote-batchplan; default `batchplan`). */
  command: string;
  remoteDir?: string;
  /** The destination as the user gave it, for the hints. */
  label: string;
}

export async function checkRemoteVersion(rb: RemoteBatchplan): Promise<void> {
  const r = await rb.t.exec(`${rb.command} --version`, { idempotent: true });
  const said = (r.stdout.toString('utf8') + r.stderr.toString('utf8')).trim();
  const setup = `Install this version there with: batchplan remote setup ${rb.label} (it prints the --remote-batchplan to pass).`;
  if (r.exitCode !== 0)
    throw new BatchplanError(
      'E_REMOTE_BATCHPLAN',
      `batchplan cannot run on ${rb.t.where}: \`${rb.command} --version\` exited ${r.exitCode}${said ? `: ${said.split('\n').at(-1)}` : ''}`,
      `${setup} Or point --remote-batchplan at a batchplan ${VERSION} there (a non-interactive ssh shell may not read your profile's PATH).`,
    );
  const version = said.split('\n').at(-1)!.trim();
  if (version !== VERSION)
    throw new BatchplanError(
      'E_REMOTE_BATCHPLAN',
      `batchplan on ${rb.t.where} is version ${version}; this one is ${VERSION}, and both must be the same`,
      setup,
    );
}

/** Run `batchplan <argv>` there, from --remote-dir, output streamed to ours; its exit code. */
export async function runRemote(rb: RemoteBatchplan, argv: string[], io: ExecIo = {}): Promise<number> {
  const r = await rb.t.exec(`${cdInto(rb.remoteDir)} && ${rb.command} ${commandLine(argv)}`, {
    stdout: (b) => process.stdout.write(b),
    stderr: (b) => process.stderr.write(b),
    ...io,
  });
  return r.exitCode;
}

/** Run `batchplan <argv>` there and parse its --json output (a failure shows its stderr). */
export async function remoteJson<T>(rb: RemoteBatchplan, argv: string[]): Promise<T> {
  const r = await rb.t.exec(`${cdInto(rb.remoteDir)} && ${rb.command} ${commandLine(argv)}`, {
    idempotent: true,
  });
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
