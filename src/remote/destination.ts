// `--remote [user@]host[:port]` (or BATCHPLAN_REMOTE): what the user typed, before ~/.ssh/config.
import { usageError } from '../errors.js';

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

export function parseDestination(text: string): Destination {
  const m = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]]+)(?::(\d+))?$/.exec(text.trim());
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535)))
    throw usageError(
      `--remote '${text}' is not [user@]host[:port]`,
      'Examples: --remote login.cluster.org, --remote me@login.cluster.org:2222, --remote [::1]:22',
    );
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  return { ...(m[1] ? { user: m[1] } : {}), host, ...(port !== undefined ? { port } : {}) };
}

export function formatDestination(d: { user: string; host: string; port: number }): string {
  const host = d.host.includes(':') ? `[${d.host}]` : d.host;
  return `${d.user}@${host}:${d.port}`;
}
