// The flags every command with --remote takes, and the transport they open.
import { parseDestination } from './destination.js';
import type { RemoteTransport } from './remote-transport.js';

export interface RemoteFlags {
  remote?: string;
  remoteDir?: string;
  remoteBatchplan?: string;
  ssh?: 'ssh2' | 'openssh';
  acceptNewHostKey?: boolean;
}

/** Option names (commander attribute names) that stay here and are not passed to the remote side. */
export const REMOTE_OPTION_KEYS = new Set([
  'remote',
  'remoteDir',
  'remoteBatchplan',
  'ssh',
  'acceptNewHostKey',
]);

/** The destination: --remote, else BATCHPLAN_REMOTE; undefined when the command runs here. */
export function remoteOf(flags: RemoteFlags): string | undefined {
  return flags.remote ?? (process.env.BATCHPLAN_REMOTE || undefined);
}

export async function openTransport(flags: RemoteFlags): Promise<RemoteTransport> {
  const dest = parseDestination(remoteOf(flags)!);
  const opts = { acceptNewHostKey: flags.acceptNewHostKey === true };
  if (flags.ssh === 'openssh') return (await import('./openssh-transport.js')).openOpenSsh(dest, opts);
  return (await import('./ssh2-transport.js')).openSsh2(dest, opts);
}
