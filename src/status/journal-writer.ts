// Append-only status journal of one run-partition process. Every record is written (write(2)) at
// once, so a SIGKILL of this process loses nothing that was recorded; fdatasyncs are grouped and run
// off the main thread, so a machine crash loses at most the records of the last SYNC_INTERVAL_MS
// plus the time of one fdatasync.
//
// Files are created exclusively and opened with O_NOFOLLOW: in a group-writable plan, a symbolic
// link planted where a journal goes cannot make run-partition write elsewhere. A disk that fills up
// (ENOSPC, EDQUOT) first costs task output (the log), never the small records: a reserve file is
// set aside when the journal opens and given back to the file system when a record does not fit.
import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  futimesSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { HEARTBEAT_MS, JOURNAL_FORMAT_VERSION, journalBase, stageStatusDir } from './journal-format.js';
import type { EndRecord, JournalHeader, JournalRecord } from './journal-schema.js';
import { ensureRealDir } from './real-dir.js';
import { ioError, isDiskFull } from './io-error.js';

export interface TaskOutput {
  stdout: Buffer;
  stderr: Buffer;
}

/** Room kept for end records once the disk is full: thousands of them. */
const RESERVE_BYTES = 256 * 1024;
/**
 * Group commit: a group fdatasync starts at most this often (measured: with one per finished task,
 * fdatasync was 8 % of run-partition's time with short tasks). The bound on what a crash loses.
 */
export const SYNC_INTERVAL_MS = 5;
const CREATE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND | constants.O_NOFOLLOW;

export class JournalWriter {
  readonly journalPath: string;
  readonly logPath: string;
  private readonly reservePath: string;
  private readonly fd: number;
  private readonly logFd: number;
  private logSize = 0;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  /** The log was written since its last fdatasync (most short tasks write nothing to it). */
  private logDirty = false;
  private lastSync = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private reserved = false;
  /** Set once the disk is full: output is no longer kept, and the caller stops launching. */
  diskFull: BatchplanError | undefined;
  /** The first error of a background fdatasync, reported by close(). */
  private syncError: unknown;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(planDir: string, stageIndex: number, stage: string, range: { start: number; end: number }) {
    const dir = stageStatusDir(planDir, stageIndex);
    ensureRealDir(planDir, dir);
    const host = hostname();
    const t = Date.now();
    const base = join(dir, journalBase(range.start, range.end, host, process.pid, t));
    this.journalPath = `${base}.jsonl`;
    this.logPath = `${base}.log`;
    this.reservePath = `${base}.reserve`;
    this.logFd = open(this.logPath);
    this.fd = open(this.journalPath);
    try {
      const reserve = open(this.reservePath);
      try {
        writeAll(reserve, Buffer.alloc(RESERVE_BYTES), this.reservePath);
        this.reserved = true;
      } finally {
        closeSync(reserve);
      }
    } catch (err) {
      this.releaseReserve();
      if (!(err instanceof BatchplanError && isDiskFull(err.cause))) throw err;
      // Already full: the header may still fit; the run stops after it.
    }
    const header: JournalHeader = {
      journal: 'batchplan',
      v: JOURNAL_FORMAT_VERSION,
      stage,
      start: range.start,
      end: range.end,
      host,
      pid: process.pid,
      t,
    };
    this.write(header);
    // The header rides on the first group fdatasync instead of one on the main thread here (a stall
    // of 5-10 ms at every open, and balanced mode opens a journal per chunk taken): no record after
    // it can reach the disk without it (fdatasync flushes the whole file), and a journal whose
    // header a crash lost reads as one with no records (journal-reader.ts names it from its file).
    this.sync();
    this.heartbeat = setInterval(() => this.touch(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  started(i: number, attempt: number): void {
    this.write({ k: 's', i, a: attempt, t: Date.now() });
  }

  ended(rec: Omit<EndRecord, 'k' | 't' | 'out' | 'err'>, output: TaskOutput): void {
    const full: EndRecord = { k: 'e', ...rec, t: Date.now() };
    const out = this.appendLog(output.stdout);
    const err = this.appendLog(output.stderr);
    if (out) full.out = out;
    if (err) full.err = err;
    this.write(full);
    this.sync();
  }

  /**
   * Flush and mark the journal finished; afterwards nothing in it reads as running. Waits for a
   * group fdatasync still in flight, and throws E_IO if any fdatasync failed (records may be lost).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.syncTimer);
    await this.syncing;
    try {
      this.write({ k: 'c', t: Date.now() });
      syncNow(this.logFd, this.logPath);
      syncNow(this.fd, this.journalPath);
    } finally {
      closeSync(this.fd);
      closeSync(this.logFd);
      this.releaseReserve();
    }
    if (this.syncError) throw ioError(this.journalPath, 'cannot sync', this.syncError);
  }

  private appendLog(buf: Buffer): [number, number] | undefined {
    if (buf.length === 0 || this.diskFull) return undefined;
    const at = this.logSize;
    let done = 0;
    try {
      this.logDirty = true;
      while (done < buf.length) done += writeSync(this.logFd, buf, done, buf.length - done);
    } catch (err) {
      if (!isDiskFull(err)) throw ioError(this.logPath, 'cannot write', err);
      this.diskFull = ioError(this.logPath, 'cannot write', err);
    }
    this.logSize += done;
    return done > 0 ? [at, done] : undefined;
  }

  private write(rec: JournalHeader | JournalRecord): void {
    // One write(2) per line: with O_APPEND the line lands whole, so a torn line can only be the
    // last. A short write (a signal, a nearly full disk) is finished from where it stopped.
    const line = Buffer.from(JSON.stringify(rec) + '\n');
    let done = 0;
    for (;;) {
      try {
        while (done < line.length) done += writeSync(this.fd, line, done, line.length - done);
        return;
      } catch (err) {
        if (!isDiskFull(err) || !this.reserved) throw ioError(this.journalPath, 'cannot write', err);
        this.diskFull ??= ioError(this.journalPath, 'cannot write', err);
        this.releaseReserve(); // and try again in the room it leaves
      }
    }
  }

  private releaseReserve(): void {
    this.reserved = false;
    try {
      unlinkSync(this.reservePath);
    } catch {
      /* not made, or already gone */
    }
  }

  /**
   * Group commit: at most one group in flight, started at most every SYNC_INTERVAL_MS; records
   * written meanwhile ride on the next. The log is synced first, when it was written to.
   */
  private sync(): void {
    if (this.syncing || this.syncTimer) {
      this.dirty = true;
      return;
    }
    const wait = this.lastSync + SYNC_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        if (!this.closed) this.sync();
      }, wait);
      return;
    }
    this.dirty = false;
    this.lastSync = Date.now();
    const log = this.logDirty;
    this.logDirty = false;
    this.syncing = new Promise<void>((resolve) => {
      const journal = (e1: NodeJS.ErrnoException | null) =>
        fdatasync(this.fd, (e2) => {
          this.syncError ??= e1 ?? e2 ?? undefined;
          this.syncing = undefined;
          resolve();
          if (this.dirty && !this.closed) this.sync();
        });
      if (log) fdatasync(this.logFd, journal);
      else journal(null);
    });
  }

  private touch(): void {
    if (this.closed) return;
    const now = new Date();
    try {
      futimesSync(this.fd, now, now);
    } catch {
      /* a heartbeat is advisory */
    }
  }
}

function open(path: string): number {
  try {
    return openSync(path, CREATE, 0o644);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP' || e.code === 'EEXIST')
      throw new BatchplanError(
        'E_IO',
        `cannot create ${path}: ${e.code === 'ELOOP' ? 'a symbolic link is in its place' : 'it already exists'}`,
        'Something other than this run-partition put it there; check who can write to the plan directory.',
      );
    throw ioError(path, 'cannot create', err);
  }
}

function writeAll(fd: number, buf: Buffer, path: string): void {
  let done = 0;
  try {
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
  } catch (err) {
    const e = ioError(path, 'cannot write', err);
    e.cause = err;
    throw e;
  }
}

function syncNow(fd: number, path: string): void {
  try {
    fdatasyncSync(fd);
  } catch (err) {
    throw ioError(path, 'cannot sync', err);
  }
}
