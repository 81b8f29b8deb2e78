// Every recorded attempt of one task, with where its output is: for `logs` and `tasks --tail`.
import { closeSync, openSync, readSync } from 'node:fs';
import { ioError } from './io-error.js';
import type { EndRecord, StartRecord } from './journal-schema.js';
import { listJournals, readJournal, type JournalFile } from './journal-reader.js';

export interface AttemptHistory {
  attempt: number;
  journal: JournalFile;
  start?: StartRecord;
  end?: EndRecord;
}

/** Attempts of task i (stage-relative), oldest first. */
export function taskHistory(planDir: string, stageIndex: number, i: number): AttemptHistory[] {
  const attempts = new Map<string, AttemptHistory>();
  for (const journal of listJournals(planDir, stageIndex, { start: i, end: i + 1 })) {
    readJournal(journal, (rec) => {
      if (rec.k === 'c' || rec.i !== i) return;
      const key = `${journal.path}#${rec.a}`;
      const entry = attempts.get(key) ?? { attempt: rec.a, journal };
      if (rec.k === 's') entry.start = rec;
      else entry.end = rec;
      attempts.set(key, entry);
    });
  }
  const time = (h: AttemptHistory) => h.end?.t ?? h.start?.t ?? 0;
  return [...attempts.values()].sort((a, b) => time(a) - time(b));
}

/** Index of end records per task in one journal, for listing many tasks' outputs at once. */
export function endRecordsOf(journal: JournalFile): Map<number, EndRecord> {
  const ends = new Map<number, EndRecord>();
  readJournal(journal, (rec) => {
    if (rec.k === 'e') ends.set(rec.i, rec);
  });
  return ends;
}

/** Bytes [offset, offset + length) of a journal's log file; shorter if the log lost its tail. */
export function readLog(journal: JournalFile, range: [number, number] | undefined): Buffer {
  if (!range) return Buffer.alloc(0);
  const [offset, length] = range;
  const buf = Buffer.alloc(length);
  let fd: number;
  try {
    fd = openSync(journal.logPath, 'r');
  } catch (err) {
    // A log that is not there has nothing to show; one that cannot be read is said so, never
    // shown as empty output.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw ioError(journal.logPath, 'cannot read', err);
  }
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
