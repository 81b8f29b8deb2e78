// Reset markers: `retry` and `rerun` make tasks pending again without touching a journal. Each is one
// small file, written whole (temp + fsync + rename) and never changed:
//
//   <plan>/status/resets/<t36>.<pid>.<rand>.json   {"v":1,"t":<ms>,"stages":{"<k>":[[start,end],…]}}
//
// Readers ignore a task's journal records older than its newest reset (aggregate.ts), so a task
// whose latest attempt predates its reset is pending again; attempts keep counting. A command killed
// before the rename leaves only a hidden temp file, which readers skip: the reset happened or not.
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { fsyncDir } from '../util/fs-atomic.js';
import { ioError } from './io-error.js';
import { STATUS_DIR } from './journal-format.js';
import { ensureRealDir } from './real-dir.js';

export const RESETS_DIR = 'resets';
export const RESET_FORMAT_VERSION = 1;

/** Stage-relative task ranges [start, end), sorted and disjoint. */
export type Ranges = [number, number][];

export interface ResetMarker {
  path: string;
  t: number;
  stages: Record<string, Ranges>;
}

export function resetsDir(planDir: string): string {
  return join(planDir, STATUS_DIR, RESETS_DIR);
}

/** Sorted task indices to ranges. */
export function toRanges(sorted: readonly number[]): Ranges {
  const out: Ranges = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && last[1] === i) last[1]++;
    else out.push([i, i + 1]);
  }
  return out;
}

/** Write one marker for every stage's selection at once; returns its path. */
export function writeReset(planDir: string, t: number, stages: Record<string, Ranges>): string {
  const dir = resetsDir(planDir);
  ensureRealDir(planDir, dir);
  const name = `${t.toString(36)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.json`;
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.tmp`);
  const body = JSON.stringify({ v: RESET_FORMAT_VERSION, t, stages }) + '\n';
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      const buf = Buffer.from(body);
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    throw ioError(path, 'cannot write reset marker', err);
  }
  fsyncDir(dir);
  return path;
}

/** Every marker of the plan, oldest first. Damaged ones are E_PLAN_CORRUPT naming the file. */
export function readResets(planDir: string): ResetMarker[] {
  const dir = resetsDir(planDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(dir, 'cannot list reset markers in', err);
  }
  const out: ResetMarker[] = [];
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue; // temp files of a killed retry
    const path = join(dir, name);
    let text: string;
    try {
      if (!lstatSync(path).isFile()) throw corrupt(path, 'is not a regular file');
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (err instanceof BatchplanError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioError(path, 'cannot read reset marker', err);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw corrupt(path, 'is not valid JSON');
    }
    out.push(checked(path, parsed));
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Per task of stage k (stage-relative), the time of its newest reset; undefined when none. */
export function stageResetTimes(
  markers: readonly ResetMarker[],
  stageIndex: number,
  tasks: number,
): Float64Array | undefined {
  let times: Float64Array | undefined;
  for (const m of markers) {
    const ranges = m.stages[String(stageIndex)];
    if (!ranges) continue;
    times ??= new Float64Array(tasks);
    for (const [start, end] of ranges) times.fill(m.t, Math.max(0, start), Math.min(tasks, end));
  }
  return times;
}

function checked(path: string, v: unknown): ResetMarker {
  const o = v as { v?: unknown; t?: unknown; stages?: unknown };
  if (o === null || typeof o !== 'object') throw corrupt(path, 'is not an object');
  if (o.v !== RESET_FORMAT_VERSION)
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `${path}: reset marker format ${JSON.stringify(o.v)}, this batchplan reads ${RESET_FORMAT_VERSION}`,
      'Use the batchplan that wrote it.',
    );
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) throw corrupt(path, 'has no time');
  if (o.stages === null || typeof o.stages !== 'object') throw corrupt(path, 'has no stages');
  for (const ranges of Object.values(o.stages)) {
    if (
      !Array.isArray(ranges) ||
      !ranges.every((r) => Array.isArray(r) && r.length === 2 && r.every(Number.isInteger))
    )
      throw corrupt(path, 'has a bad task range');
  }
  return { path, t: o.t, stages: o.stages as Record<string, Ranges> };
}

function corrupt(path: string, what: string): BatchplanError {
  return new BatchplanError(
    'E_PLAN_CORRUPT',
    `reset marker ${path} ${what}`,
    'Markers are written whole by `batchplan retry`/`rerun`; move the damaged one away (its tasks then keep their recorded state).',
  );
}
