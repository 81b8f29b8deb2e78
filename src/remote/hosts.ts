// The hosts of --runner ssh, in GNU parallel's --sshloginfile form: one per line, `[slots/][user@]host[:port]`,
// `:` for this machine, `#` comments. `--hosts` names such a file, or lists the same entries
// separated by commas (parallel's --sshlogin form): `8/alice@ws1,4/ws2:2222,:`.
import { existsSync, readFileSync } from 'node:fs';
import { usageError } from '../errors.js';
import { parseDestination, type Destination } from './destination.js';

export interface Host {
  /** As written (without the slot count): the name in messages. */
  label: string;
  /** Partitions it runs at once. */
  slots: number;
  /** Undefined for `:` (this machine, no SSH). */
  dest?: Destination;
}

export function parseHosts(text: string, where: string): Host[] {
  const hosts: Host[] = [];
  for (const [k, raw] of text.split(/\r?\n|,/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(?:(\d+)\/)?(\S+)$/.exec(line);
    const slots = m?.[1] === undefined ? 1 : Number(m[1]);
    if (!m || slots < 1)
      throw usageError(
        `${where}: entry ${k + 1} '${line}' is not [slots/][user@]host[:port]`,
        'Examples: 8/alice@ws1, 4/ws2:2222, ws3, and : for this machine.',
      );
    const label = m[2]!;
    if (hosts.some((h) => h.label === label))
      throw usageError(`${where}: host '${label}' is listed twice`, 'Give it one line with its slot count.');
    let dest: Destination | undefined;
    try {
      if (label !== ':') dest = parseDestination(label);
    } catch {
      throw usageError(`${where}: entry ${k + 1} '${label}' is not [user@]host[:port]`);
    }
    hosts.push({ label, slots, ...(dest ? { dest } : {}) });
  }
  if (!hosts.length) throw usageError(`${where}: no hosts`, 'List one host per line, e.g. 4/me@ws1.');
  return hosts;
}

/** --hosts: a file when one has that name, else a comma-separated list. */
export function loadHosts(spec: string): Host[] {
  if (existsSync(spec)) return parseHosts(readFileSync(spec, 'utf8'), spec);
  if (!spec.includes(',') && /\.(txt|list|hosts)$|\//.test(spec) && !/^\d+\//.test(spec))
    throw usageError(
      `--hosts: no such file '${spec}'`,
      'Name a file of hosts (one [slots/][user@]host[:port] per line), or list them: --hosts 4/ws1,ws2',
    );
  return parseHosts(spec, '--hosts');
}
