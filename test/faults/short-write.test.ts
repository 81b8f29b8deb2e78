// Short writes to a journal, as a nearly full disk or a signal makes them: write(2) returns fewer
// bytes than asked. node:fs's writeSync is wrapped so that the real writer (JournalWriter, unchanged)
// writes into real files through the real system call, only in smaller pieces than it asked for, or
// with ENOSPC after part of a record landed; the journal must read back whole (no torn or doubled
// line) with the real reader.
import * as realFs from 'node:fs';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { listJournals, readJournal } from '../../src/status/journal-reader.js';
import type { JournalRecord } from '../../src/status/journal-schema.js';
import { JournalWriter } from '../../src/status/journal-writer.js';
import { readLog } from '../../src/status/task-history.js';
import { scratch } from '../helpers.js';

/** What the wrapped writeSync does: at most `max` bytes per call; ENOSPC once after `failAfter` bytes of a journal line. */
const fault = vi.hoisted(() => ({
  max: Infinity,
  failJournalAfter: -1,
  calls: 0,
  short: 0,
  paths: new Map<number, string>(),
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof realFs>();
  const openSync = ((path: realFs.PathLike, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    fault.paths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  // The writer calls writeSync(fd, buffer, offset, length): only that form is wrapped.
  const writeSync = ((fd: number, buf: Buffer, off?: number, len?: number, ...rest: unknown[]) => {
    const offset = off ?? 0;
    const length = len ?? buf.length - offset;
    fault.calls++;
    let n = Math.min(length, fault.max);
    const journal = fault.paths.get(fd)?.endsWith('.jsonl');
    if (journal && fault.failJournalAfter >= 0) {
      if (fault.failJournalAfter === 0) {
        fault.failJournalAfter = -1;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
          errno: -28,
        });
      }
      n = Math.min(n, fault.failJournalAfter);
      fault.failJournalAfter -= n;
    }
    if (n < length) fault.short++;
    return (fs.writeSync as (...a: unknown[]) => number)(fd, buf, offset, n, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, openSync, writeSync }, openSync, writeSync };
});

function readBack(plan: string) {
  const [file] = listJournals(plan, 0, { start: 0, end: 3 });
  const seen: JournalRecord[] = [];
  const parsed = readJournal(file!, (r) => seen.push(r));
  return { file: file!, seen, parsed };
}

describe('short writes', () => {
  it('every write(2) returning at most 7 bytes: records and task output read back whole', async () => {
    const plan = scratch('batchplan-short-');
    fault.max = 7;
    fault.short = 0;
    const w = new JournalWriter(plan, 0, 's', { start: 0, end: 3 });
    w.started(0, 1);
    w.ended(
      { i: 0, a: 1, st: 'succeeded', rc: 0, d: 5 },
      { stdout: Buffer.from('out '.repeat(50)), stderr: Buffer.from('é\n') },
    );
    w.started(1, 1);
    w.ended(
      { i: 1, a: 1, st: 'failed', rc: 3, d: 9 },
      { stdout: Buffer.alloc(0), stderr: Buffer.from('boom') },
    );
    await w.close();
    fault.max = Infinity;
    expect(fault.short).toBeGreaterThan(20); // the writer was really given short writes
    const { file, seen, parsed } = readBack(plan);
    expect(parsed).toMatchObject({ closed: true, skipped: 0, damaged: 0 });
    expect(seen.map((r) => [r.k, 'i' in r ? r.i : null])).toEqual([
      ['s', 0],
      ['e', 0],
      ['s', 1],
      ['e', 1],
    ]);
    const ends = seen.filter((r) => r.k === 'e');
    expect(readLog(file, ends[0]!.out).toString()).toBe('out '.repeat(50));
    expect(readLog(file, ends[0]!.err).toString()).toBe('é\n');
    expect(readLog(file, ends[1]!.err).toString()).toBe('boom');
  });

  it('ENOSPC after part of a record landed: the reserve is given back and the record finished once', async () => {
    const plan = scratch('batchplan-short-');
    const w = new JournalWriter(plan, 0, 's', { start: 0, end: 3 });
    w.started(0, 1);
    const before = readFileSync(w.journalPath).length;
    fault.failJournalAfter = 11; // 11 bytes of the end record land, then the disk is "full"
    w.ended(
      { i: 0, a: 1, st: 'succeeded', rc: 0, d: 5 },
      { stdout: Buffer.from('x'), stderr: Buffer.alloc(0) },
    );
    expect(fault.failJournalAfter).toBe(-1); // the fault was hit
    expect(w.diskFull?.code).toBe('E_IO');
    expect(realFs.existsSync(w.journalPath.replace(/\.jsonl$/, '.reserve'))).toBe(false);
    await w.close();
    const text = readFileSync(w.journalPath, 'utf8');
    expect(text.length).toBeGreaterThan(before);
    const { seen, parsed } = readBack(plan);
    expect(parsed).toMatchObject({ closed: true, skipped: 0, damaged: 0 });
    expect(seen.filter((r) => r.k === 'e')).toEqual([
      expect.objectContaining({ i: 0, a: 1, st: 'succeeded', rc: 0 }),
    ]);
  });
});
