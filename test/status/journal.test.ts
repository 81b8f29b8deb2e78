// The journal writer's records, read back by the fast reader, agree with the zod schema.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/status/journal-schema.js';
import { journalHeaderSchema, journalRecordSchema } from '../../src/status/journal-schema.js';
import { listJournals, readJournal } from '../../src/status/journal-reader.js';
import { JournalWriter } from '../../src/status/journal-writer.js';
import { readLog } from '../../src/status/task-history.js';
import { scratch } from '../helpers.js';

describe('journal', () => {
  it('writes records the schema accepts, and reads back the same records and outputs', async () => {
    const plan = scratch();
    const w = new JournalWriter(plan, 0, 'stage one', { start: 10, end: 13 });
    w.started(10, 1);
    w.ended(
      { i: 10, a: 1, st: 'succeeded', rc: 0, d: 3 },
      { stdout: Buffer.from('out\n'), stderr: Buffer.alloc(0) },
    );
    w.started(11, 1);
    w.ended(
      { i: 11, a: 1, st: 'failed', rc: null, d: 1000, sig: 'SIGKILL', to: 1 },
      { stdout: Buffer.alloc(0), stderr: Buffer.from('boom') },
    );
    w.started(12, 2);
    await w.close();

    const lines = readFileSync(w.journalPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journalHeaderSchema.parse(lines[0])).toMatchObject({
      stage: 'stage one',
      start: 10,
      end: 13,
      pid: process.pid,
    });
    for (const rec of lines.slice(1)) expect(() => journalRecordSchema.parse(rec)).not.toThrow();

    const [file] = listJournals(plan, 0, { start: 12, end: 20 });
    expect(file).toBeDefined();
    expect(listJournals(plan, 0, { start: 13, end: 20 })).toHaveLength(0); // ranges are half-open
    const seen: JournalRecord[] = [];
    const parsed = readJournal(file!, (r) => seen.push(r));
    expect(parsed).toMatchObject({ closed: true, skipped: 0 });
    expect(seen).toEqual(lines.slice(1, -1));
    const ends = seen.filter((r) => r.k === 'e');
    expect(readLog(file!, ends[0]!.out).toString()).toBe('out\n');
    expect(readLog(file!, ends[1]!.err).toString()).toBe('boom');
    expect(ends[1]!.out).toBeUndefined();
  });
});
