// The OpenSSH client configuration (ssh_config(5)) for one host, as ssh itself would resolve it:
// `Host` patterns (`*`, `?`, `!negation`), the first value obtained for each keyword wins, `Match`
// blocks are skipped (their conditions need a shell), `Include` is followed. Only the keywords the
// ssh2 transport uses are kept.
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { BatchplanError } from '../errors.js';
import type { Destination } from './destination.js';

export interface HostConfig {
  /** The name given (for known_hosts' HostKeyAlias-less lookups the resolved hostName is used). */
  alias: string;
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  /** ProxyJump hops, outermost first ([] when none). */
  proxyJump: string[];
  serverAliveInterval: number;
  serverAliveCountMax: number;
  userKnownHostsFiles: string[];
  hashKnownHosts: boolean;
  connectTimeout?: number;
  /** The file it came from (BATCHPLAN_SSH_CONFIG, else ~/.ssh/config), when there is one. */
  file?: string;
}

/** Where the client configuration is read: BATCHPLAN_SSH_CONFIG (as `ssh -F`), else ~/.ssh/config. */
export function sshConfigFile(): string | undefined {
  const f = process.env.BATCHPLAN_SSH_CONFIG ?? join(homedir(), '.ssh', 'config');
  return existsSync(f) ? f : undefined;
}

/** Glob of ssh_config: `*` any run, `?` one character; whole-string, case-insensitive. */
export function globMatch(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

/** A `Host` line's patterns: matches when some pattern matches and no negated one does. */
export function hostPatternsMatch(patterns: string[], host: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), host)) return false;
    } else if (globMatch(p, host)) hit = true;
  }
  return hit;
}

function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

type Values = Map<string, string[][]>;

function collect(file: string, host: string, values: Values, depth = 0): void {
  if (depth > 8) return;
  let active = true;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    // `Key value`, `Key=value`, `Key = value`
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const args = words(m[2]!);
    if (key === 'host') active = hostPatternsMatch(args, host);
    else if (key === 'match') active = args.length === 1 && args[0]!.toLowerCase() === 'all';
    else if (!active) continue;
    else if (key === 'include')
      for (const inc of args) {
        const path = isAbsolute(expandTilde(inc)) ? expandTilde(inc) : join(homedir(), '.ssh', inc);
        if (existsSync(path)) collect(path, host, values, depth + 1);
      }
    else {
      if (!values.has(key)) values.set(key, []);
      values.get(key)!.push(args);
    }
  }
}

export function expandTilde(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

function number(v: string | undefined, keyword: string, file: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new BatchplanError('E_USAGE', `${file ?? 'ssh config'}: ${keyword} '${v}' is not a whole number`);
  return Number(v);
}

export function resolveHost(dest: Destination, file = sshConfigFile()): HostConfig {
  const values: Values = new Map();
  if (file) collect(file, dest.host, values);
  const first = (k: string) => values.get(k)?.[0]?.[0];
  const hostName = (first('hostname') ?? dest.host).replace(/%h/g, dest.host);
  const port = dest.port ?? number(first('port'), 'Port', file) ?? 22;
  const user = dest.user ?? first('user') ?? userInfo().username;
  const expand = (p: string) =>
    expandTilde(p)
      .replace(/%d/g, homedir())
      .replace(/%u/g, userInfo().username)
      .replace(/%r/g, user)
      .replace(/%h/g, hostName)
      .replace(/%p/g, String(port))
      .replace(/%%/g, '%');
  // IdentityFile is the one keyword that accumulates.
  const identityFiles = (values.get('identityfile') ?? []).flat().map(expand);
  const jump = first('proxyjump');
  const known = values.get('userknownhostsfile')?.[0];
  return {
    alias: dest.host,
    hostName,
    user,
    port,
    identityFiles,
    identitiesOnly: first('identitiesonly')?.toLowerCase() === 'yes',
    proxyJump: !jump || jump.toLowerCase() === 'none' ? [] : jump.split(','),
    serverAliveInterval: number(first('serveraliveinterval'), 'ServerAliveInterval', file) ?? 0,
    serverAliveCountMax: number(first('serveralivecountmax'), 'ServerAliveCountMax', file) ?? 3,
    userKnownHostsFiles: known
      ? known.map(expand)
      : [join(homedir(), '.ssh', 'known_hosts'), join(homedir(), '.ssh', 'known_hosts2')],
    hashKnownHosts: first('hashknownhosts')?.toLowerCase() === 'yes',
    ...(first('connecttimeout') !== undefined
      ? { connectTimeout: number(first('connecttimeout'), 'ConnectTimeout', file) }
      : {}),
    ...(file ? { file } : {}),
  };
}
