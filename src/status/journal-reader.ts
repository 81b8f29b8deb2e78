// Find and parse the journals of a stage. Tolerant by design: a torn last line (the writer was
// killed mid-write) is skipped, never fatal. Records are checked by shape here rather than with zod:
// status reads millions of them and must answer in seconds (test/status checks both agree).
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { ioError } from './io-error.js';
import {
  JOURNAL_FORMAT_VERSION,
  parseJournalName,
  STALE_MS,
  stageStatusDir,
  taskEndStates,
  type JournalName,
} from './journal-format.js';
import type { JournalHeader, JournalRecord } from './journal-schema.js';

export interface JournalFile extends JournalName {
  path: string;
  logPath: string;
  mtimeMs: number;
}

/** Journals of a stage whose task range overlaps [start, end) (all of them when no range is given). */
export function listJournals(
  planDir: string,
  stageIndex: number,
  range?: { start: number; end: number },
): JournalFile[] {
  const dir = stageStatusDir(planDir, stageIndex);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing has run yet
    throw ioError(dir, 'cannot list journals in', err);
  }
  const out: JournalFile[] = [];
  for (const file of names) {
    const name = parseJournalName(file);
    if (!name) continue;
    if (range && (name.end <= range.start || name.start >= range.end)) continue;
    const path = join(dir, file);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
      throw ioError(path, 'cannot read journal', err);
    }
    if (!st.isFile())
      throw new BatchplanError(
        'E_PLAN_CORRUPT',
        `${path} should be a journal but is ${st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : 'not a regular file'}`,
        'Move it out of the status directory: batchplan writes journals only as regular files.',
      );
    out.push({ ...name, path, logPath: join(dir, `${name.base}.log`), mtimeMs: st.mtimeMs });
  }
  return out;
}

export interface ParsedJournal {
  header: JournalHeader;
  closed: boolean;
  /** Lines that could not be parsed (a torn last line after a SIGKILL, or damage). */
  skipped: number;
  /** Of those, lines before the last: not a kill's torn write, but damage worth reporting. */
  damaged: number;
}

/** Calls `onRecord` for each start/end record, in file order. */
export function readJournal(file: JournalFile, onRecord: (rec: JournalRecord) => void): ParsedJournal {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (err) {
    throw ioError(file.path, 'cannot read journal', err);
  }
  let pos = text.indexOf('\n');
  if (pos < 0)
    return { header: headerFromName(file), closed: false, skipped: text.length ? 1 : 0, damaged: 0 };
  const header = parseHeader(file.path, text.slice(0, pos));
  let closed = false;
  let skipped = 0;
  let damaged = 0;
  let line = 1;
  while (pos < text.length - 1) {
    const next = text.indexOf('\n', pos + 1);
    line++;
    if (next < 0) {
      skipped++; // torn last line
      break;
    }
    const body = text.slice(pos + 1, next);
    pos = next;
    let rec: JournalRecord;
    try {
      rec = JSON.parse(body) as JournalRecord;
    } catch {
      skipped++;
      damaged++;
      continue;
    }
    if (rec === null || typeof rec !== 'object') {
      skipped++;
      damaged++;
    } else if (rec.k === 'c') closed = true;
    else if ((rec.k === 's' || rec.k === 'e') && Number.isInteger(rec.i) && typeof rec.t === 'number') {
      if (rec.k === 'e' && !END_STATES.has(rec.st))
        throw new BatchplanError(
          'E_PLAN_CORRUPT',
          `${file.path}:${line}: unknown task state ${JSON.stringify(rec.st)}`,
          'The journal is damaged, or was written by a newer batchplan.',
        );
      onRecord(rec);
    } else {
      skipped++;
      damaged++;
    }
  }
  return { header, closed, skipped, damaged };
}

const END_STATES = new Set<unknown>(taskEndStates);

function parseHeader(path: string, line: string): JournalHeader {
  let header: JournalHeader | null;
  try {
    header = JSON.parse(line) as JournalHeader | null;
  } catch {
    header = null;
  }
  if (header === null || typeof header !== 'object' || header.journal !== 'batchplan')
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `${path} is not a batchplan journal (its first line is not a journal header)`,
      'Move the file out of the status directory, or restore it from a backup.',
    );
  if (header.v !== JOURNAL_FORMAT_VERSION)
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `journal ${path} has format version ${header.v}; this batchplan reads version ${JOURNAL_FORMAT_VERSION}`,
      'Read the status with the batchplan version that ran the partition.',
    );
  return header;
}

function headerFromName(file: JournalFile): JournalHeader {
  return {
    journal: 'batchplan',
    v: JOURNAL_FORMAT_VERSION,
    stage: '',
    start: file.start,
    end: file.end,
    host: file.host,
    pid: file.pid,
    t: file.t,
  };
}

export const thisHost = hostname().replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Is the writer of an unclosed journal still at work? On this host its pid tells, however long ago
 * it last wrote (a SIGSTOPped run-partition is still running); elsewhere the heartbeat (the file's
 * mtime) must be fresh.
 */
export function writerAlive(file: JournalFile, now = Date.now()): boolean {
  if (file.host !== thisHost) return now - file.mtimeMs <= STALE_MS;
  return processAlive(file.pid, file.t);
}

/**
 * Whether process `pid` exists, is not a zombie, and (when `since` is given) started no later than
 * `since` ms since the epoch: a pid reused by a younger process is not the writer.
 */
export function processAlive(pid: number, since?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true; // no /proc (not Linux): kill(0) is all there is
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return false; // a zombie answers kill(0) but is gone
  if (since === undefined) return true;
  const started = bootTimeMs() + (Number(fields[19]) * 1000) / CLOCK_TICKS;
  return started <= since + 2000; // clock ticks and the boot time are coarse: allow two seconds
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
let bootMs: number | undefined;
function bootTimeMs(): number {
  if (bootMs === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootMs = m ? Number(m[1]) * 1000 : 0;
  }
  return bootMs;
}
