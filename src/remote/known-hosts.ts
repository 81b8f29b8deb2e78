// Host keys checked as OpenSSH does (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed
// (`|1|salt|HMAC-SHA1`) host patterns, `[host]:port` for ports other than 22, negation, wildcards,
// `@revoked` lines; `@cert-authority` lines are skipped (ssh2 has no certificates: --ssh openssh).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { globMatch } from './ssh-config.js';

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown' }
  | { kind: 'changed'; file: string; line: number }
  | { kind: 'revoked'; file: string; line: number };

interface Entry {
  file: string;
  line: number;
  marker?: string;
  patterns: string;
  type: string;
  key: Buffer;
}

/** The name known_hosts uses for a host and port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type a public key blob names (its first SSH string). */
export function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** As `ssh-keygen -l` prints it: SHA256:<base64 without padding>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let hit = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) hit = true;
  }
  return hit;
}

function entries(file: string): Entry[] {
  if (!existsSync(file)) return [];
  const out: Entry[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, k) => {
      const f = raw.trim().split(/\s+/);
      if (!f[0] || f[0].startsWith('#')) return;
      const marker = f[0].startsWith('@') ? f.shift() : undefined;
      if (f.length < 3) return;
      out.push({
        file,
        line: k + 1,
        ...(marker ? { marker } : {}),
        patterns: f[0]!,
        type: f[1]!,
        key: Buffer.from(f[2]!, 'base64'),
      });
    });
  return out;
}

/** The key types known for a host (to offer those host key algorithms first, as ssh does). */
export function knownTypes(files: string[], name: string): string[] {
  return [
    ...new Set(
      files
        .flatMap(entries)
        .filter((e) => !e.marker && patternsMatch(e.patterns, name))
        .map((e) => e.type),
    ),
  ];
}

export function checkHostKey(files: string[], name: string, blob: Buffer): HostKeyVerdict {
  const type = keyType(blob);
  const mine = files.flatMap(entries).filter((e) => patternsMatch(e.patterns, name));
  const revoked = files.flatMap(entries).find((e) => e.marker === '@revoked' && e.key.equals(blob));
  if (revoked) return { kind: 'revoked', file: revoked.file, line: revoked.line };
  const plain = mine.filter((e) => !e.marker);
  if (plain.some((e) => e.type === type && e.key.equals(blob))) return { kind: 'known' };
  const other = plain.find((e) => e.type === type);
  if (other) return { kind: 'changed', file: other.file, line: other.line };
  return { kind: 'unknown' };
}

/** Append a host's key, as StrictHostKeyChecking=accept-new does (hashed under HashKnownHosts yes). */
export function addHostKey(file: string, name: string, blob: Buffer, hashed: boolean): void {
  let patterns = name;
  if (hashed) {
    const salt = randomBytes(20);
    patterns = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${patterns} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
