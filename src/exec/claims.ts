// Claim files: how the partitions of a balanced stage (balance.ts) agree, through the plan directory
// alone, on who runs which chunk of tasks. One small file per chunk claim, never one per task:
//
//   <plan>/status/claims/stage-<k>/<a>-<b>.<g>          claim of tasks [a, b), generation g
//   <plan>/status/claims/stage-<k>/<a>-<b>.<g>.d | .f   its holder finished them (.f: some failed)
//   <plan>/status/claims/stage-<k>/<a>-<b>.<g>.r<p>-<e> its holder gave back [p, e) (a new chunk)
//   <plan>/status/claims/stage-<k>/hungry/<journal>     a partition that has free slots and no work
//
// A claim is won with link(2): the holder's record is written whole to a temp file of its own, which
// is then hard-linked to the claim's name. link fails with EEXIST when the name exists, atomically on
// local file systems, NFS (v2 included: the server does the link), Lustre and GPFS (the metadata
// server does it). When an NFS reply is lost, the retransmitted LINK answers EEXIST although the
// first one succeeded: the temp file's link count (2) tells the truth, as in the classic NFS lock
// file recipe. flock is not used: on NFS and Lustre it is node-local or absent depending on the mount
// (`local_lock`, `localflock`, `noflock`), so two nodes may both "hold" the same lock without an error.
//
// The holder named in a claim is a run-partition's journal: it holds the claim while that journal's
// writer is alive and the journal is not closed (the lost rule of status). A claim whose holder is gone
// is taken over by winning the next generation's name, so only one partition takes it over.
import {
  closeSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
  constants,
} from 'node:fs';
import { join } from 'node:path';
import { ioError } from '../status/io-error.js';
import { parseJournalName, stageStatusDir, STATUS_DIR } from '../status/journal-format.js';
import { writerAlive } from '../status/journal-reader.js';
import { ensureRealDir } from '../status/real-dir.js';

export interface Range {
  start: number;
  end: number;
}

/** What the listing says about one chunk name `<a>-<b>`. */
export interface ChunkEntry {
  start: number;
  /** The end in the chunk's name. */
  end: number;
  /** Highest claim generation present; -1: never claimed. */
  gen: number;
  /** Done marker of that generation: 'd' all succeeded, 'f' finished with failures. */
  done?: 'd' | 'f';
  /** Ranges its holders gave back, of any generation. */
  released: Range[];
}

export interface Listing {
  chunks: Map<string, ChunkEntry>;
}

const CLAIM = /^(\d+)-(\d+)\.(\d+)(?:\.(d|f|r(\d+)-(\d+)))?$/;

export const chunkKey = (r: Range): string => `${r.start}-${r.end}`;

/** End of a chunk's tasks still with its holder: its name's end, cut by what was given back. */
export function effectiveEnd(e: ChunkEntry): number {
  let end = e.end;
  for (const r of e.released) if (r.start < end) end = r.start;
  return end;
}

export function claimsDir(planDir: string, stageIndex: number): string {
  return join(planDir, STATUS_DIR, 'claims', `stage-${stageIndex}`);
}

export class ClaimDir {
  readonly dir: string;
  private readonly journals: string;
  private readonly holders = new Map<string, string>();
  /** Journals seen closed: closed is for ever. */
  private readonly closedJournals = new Set<string>();

  constructor(
    private readonly planDir: string,
    stageIndex: number,
  ) {
    this.dir = claimsDir(planDir, stageIndex);
    this.journals = stageStatusDir(planDir, stageIndex);
  }

  ensure(): void {
    ensureRealDir(this.planDir, join(this.dir, 'hungry'));
  }

  list(): Listing {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { chunks: new Map() };
      throw ioError(this.dir, 'cannot list claims in', err);
    }
    const chunks = new Map<string, ChunkEntry>();
    const marks: [string, number, string][] = [];
    for (const name of names) {
      const m = CLAIM.exec(name);
      if (!m) continue; // temp files (.<name>.tmp) and anything else
      const key = `${m[1]}-${m[2]}`;
      let e = chunks.get(key);
      if (!e) {
        e = { start: Number(m[1]), end: Number(m[2]), gen: -1, released: [] };
        chunks.set(key, e);
      }
      const gen = Number(m[3]);
      if (m[5] !== undefined) e.released.push({ start: Number(m[5]), end: Number(m[6]) });
      else if (m[4] !== undefined) marks.push([key, gen, name]);
      else if (gen > e.gen) e.gen = gen;
    }
    for (const [key, gen, name] of marks) {
      const e = chunks.get(key)!;
      if (gen === e.gen) e.done = name.endsWith('.f') ? 'f' : 'd'; // older: taken over since
    }
    return { chunks };
  }

  /** When the done marker of claim `<range>.<gen>` was made (ms); 0 when unknown. */
  doneAt(e: ChunkEntry): number {
    try {
      return statSync(join(this.dir, `${chunkKey(e)}.${e.gen}.${e.done}`)).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** Journals (bases) of partitions waiting for work: a directory of its own, read often. */
  hungry(): string[] {
    try {
      return readdirSync(join(this.dir, 'hungry'));
    } catch {
      return [];
    }
  }

  /** Try to win claim `<range>.<gen>` for `holder` (a journal base). */
  tryClaim(range: Range, gen: number, holder: string): boolean {
    const name = `${chunkKey(range)}.${gen}`;
    // No fsync: NFS writes a file's data back at close (close-to-open), before the link below, and
    // after a crash an empty claim names no holder, which counts as gone.
    const tmp = join(this.dir, `.${name}.${holder}.tmp`);
    const body = JSON.stringify({ v: 1, holder, t: Date.now() }) + '\n';
    let fd: number;
    try {
      fd = openSync(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o644,
      );
    } catch (err) {
      throw ioError(tmp, 'cannot create', err);
    }
    try {
      writeSync(fd, body);
    } catch (err) {
      closeSync(fd);
      unlinkQuiet(tmp);
      throw ioError(tmp, 'cannot write', err);
    }
    closeSync(fd);
    let won: boolean;
    try {
      linkSync(tmp, join(this.dir, name));
      won = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        unlinkQuiet(tmp);
        throw ioError(join(this.dir, name), 'cannot create claim', err);
      }
      // A lost reply to a LINK that succeeded (NFS) also says EEXIST: the link count knows.
      won = statSync(tmp).nlink === 2;
    }
    unlinkQuiet(tmp);
    if (won) this.holders.set(name, holder);
    return won;
  }

  /** The journal base holding claim `<range>.<gen>`, or undefined when it cannot be read. */
  holderOf(range: Range, gen: number): string | undefined {
    const name = `${chunkKey(range)}.${gen}`;
    const known = this.holders.get(name);
    if (known) return known;
    try {
      const rec = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as { holder?: unknown };
      if (typeof rec.holder === 'string') {
        this.holders.set(name, rec.holder);
        return rec.holder;
      }
    } catch {
      /* unreadable: treated as a holder that is gone */
    }
    return undefined;
  }

  /** Is the run-partition writing journal `base` at work (alive, journal not closed)? */
  alive(base: string | undefined, now = Date.now()): boolean {
    if (base === undefined) return false;
    if (this.closedJournals.has(base)) return false;
    const parsed = parseJournalName(`${base}.jsonl`);
    if (!parsed) return false;
    const path = join(this.journals, `${base}.jsonl`);
    let mtimeMs: number;
    let size: number;
    try {
      const st = statSync(path);
      mtimeMs = st.mtimeMs;
      size = st.size;
    } catch {
      return false;
    }
    if (endsWithClose(path, size)) {
      this.closedJournals.add(base);
      return false;
    }
    return writerAlive({ ...parsed, path, logPath: '', mtimeMs }, now);
  }

  /** Done marker of claim `<range>.<gen>`: 'd' every task succeeded, 'f' some failed for good. */
  markDone(range: Range, gen: number, how: 'd' | 'f'): void {
    touchNew(join(this.dir, `${chunkKey(range)}.${gen}.${how}`));
  }

  /** Give back tasks [from.start, from.end) of claim `<range>.<gen>`: they become a chunk of their own. */
  release(range: Range, gen: number, from: Range): void {
    touchNew(join(this.dir, `${chunkKey(range)}.${gen}.r${from.start}-${from.end}`));
  }

  /** Win the one-off name `name` (a backup copy's claim): an exclusive create. */
  tryExclusive(name: string): boolean {
    try {
      closeSync(
        openSync(
          join(this.dir, name),
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o644,
        ),
      );
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw ioError(join(this.dir, name), 'cannot create', err);
    }
  }

  setHungry(base: string, on: boolean): void {
    const path = join(this.dir, 'hungry', base);
    if (on) touchNew(path);
    else unlinkQuiet(path);
  }
}

function touchNew(path: string): void {
  try {
    closeSync(
      openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw ioError(path, 'cannot create', err);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Does the journal end with its close record? Reads only its last bytes. */
function endsWithClose(path: string, size: number): boolean {
  if (size === 0) return false;
  const len = Math.min(size, 64);
  const buf = Buffer.alloc(len);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('latin1');
  const last = text.lastIndexOf('\n', text.length - 2);
  return text.slice(last + 1).startsWith('{"k":"c"');
}
