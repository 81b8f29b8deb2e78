// Following other run-partitions' journals while they grow (peers.ts, max-fails.ts): new journals
// in a stage's status directory, and the lines appended to each since the last look.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseJournalName } from '../status/journal-format.js';
import type { JournalFile } from '../status/journal-reader.js';

/** Where reading a journal stopped: its byte offset and a line not yet finished. */
export interface TailState {
  offset: number;
  rest: string;
}

/**
 * The journals of `dir` when it changed since `state.mtime` (undefined when it did not), leaving out
 * the names in `known` (already followed or ignored by the caller). While the directory's mtime is
 * recent, every look lists it again; a caller looks before and after each task's start record, so
 * parsing only names not seen before keeps that listing cheap (it was ~60 % of a look's cost).
 */
export function changedJournals(
  dir: string,
  state: { mtime: bigint },
  known?: ReadonlySet<string>,
): JournalFile[] | undefined {
  let mtime: bigint;
  try {
    mtime = statSync(dir, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
  // A coarse clock may give two changes the same mtime: look again while it is recent.
  const recent = BigInt(Date.now()) * 1_000_000n - mtime < 2_000_000_000n;
  if (mtime === state.mtime && !recent) return undefined;
  state.mtime = mtime;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  return names.flatMap((name) => {
    if (!name.endsWith('.jsonl') || known?.has(name)) return []; // logs, reserves, journals seen
    const parsed = parseJournalName(name);
    return parsed
      ? [{ ...parsed, path: join(dir, name), logPath: join(dir, `${parsed.base}.log`), mtimeMs: Date.now() }]
      : [];
  });
}

/** Calls `onLine` for each whole line appended to `path` since `state`, which it advances. */
export function readAppended(path: string, state: TailState, onLine: (line: string) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, state.offset);
      if (n === 0) break;
      state.offset += n;
      const lines = (state.rest + buf.toString('utf8', 0, n)).split('\n');
      state.rest = lines.pop()!;
      for (const line of lines) onLine(line);
    }
  } finally {
    closeSync(fd);
  }
}
