// --remote-dir: a directory on the remote host where relative plan paths start. It is the one
// value the remote shell expands ($SCRATCH, ${HOME}, a leading ~); everything else (plan paths,
// flags) reaches the remote shell quoted, taken literally.
import { BatchplanError } from '../errors.js';
import type { RemoteTransport } from './remote-transport.js';

/** `text` as one remote shell word in which only $NAME, ${NAME} and a leading ~ expand. */
export function expandableWord(text: string): string {
  let rest = text;
  let head = '';
  if (rest === '~' || rest.startsWith('~/')) {
    head = '"$HOME"';
    rest = rest.slice(1);
  }
  const body = rest
    .replace(/[\\"`]/g, '\\$&')
    .replace(/\$(?![A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})/g, '\\$');
  return `${head}"${body}"`;
}

/** Shell code that enters the remote dir (or stays in the login directory). */
export function cdInto(remoteDir: string | undefined): string {
  return remoteDir === undefined ? ':' : `cd -- ${expandableWord(remoteDir)}`;
}

/** The remote dir's absolute path (created first when `create`). */
export async function resolveRemoteDir(
  t: RemoteTransport,
  remoteDir: string | undefined,
  create: boolean,
): Promise<string> {
  const word = remoteDir === undefined ? undefined : expandableWord(remoteDir);
  const script =
    word === undefined ? 'pwd -P' : `${create ? `mkdir -p -- ${word} && ` : ''}cd -- ${word} && pwd -P`;
  const r = await t.exec(script, { idempotent: true });
  const dir = r.stdout.toString('utf8').replace(/\n$/, '');
  if (r.exitCode !== 0 || !dir.startsWith('/'))
    throw new BatchplanError(
      'E_IO',
      `--remote-dir ${remoteDir} is not usable on ${t.where}: ${r.stderr.toString('utf8').trim() || `exit ${r.exitCode}`}`,
      `Check that ${t.user} can ${create ? 'create and ' : ''}enter it there (variables such as $SCRATCH are expanded by the remote shell).`,
    );
  return dir;
}
