// Append-only status journal of one run-partition process. Every record is written (write(2)) at
// once, so a SIGKILL of this process loses nothing that was recorded; fsyncs are grouped and run off
// the main thread, so a node crash loses at most the records of the last few milliseconds.
import { closeSync, fdatasync, fdatasyncSync, futimesSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HEARTBEAT_MS, JOURNAL_FORMAT_VERSION, journalBase, stageStatusDir } from './journal-format.js';
import type { EndRecord, JournalHeader, JournalRecord } from './journal-schema.js';

export interface TaskOutput {
  stdout: Buffer;
  stderr: Buffer;
}

export class JournalWriter {
  readonly journalPath: string;
  readonly logPath: string;
  private readonly fd: number;
  private readonly logFd: number;
  private logSize = 0;
  private syncing = false;
  private dirty = false;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(planDir: string, stageIndex: number, stage: string, range: { start: number; end: number }) {
    const dir = stageStatusDir(planDir, stageIndex);
    mkdirSync(dir, { recursive: true });
    const host = hostname();
    const t = Date.now();
    const base = join(dir, journalBase(range.start, range.end, host, process.pid, t));
    this.journalPath = `${base}.jsonl`;
    this.logPath = `${base}.log`;
    this.logFd = openSync(this.logPath, 'a');
    this.fd = openSync(this.journalPath, 'a');
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
    fdatasyncSync(this.fd);
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

  /** Flush and mark the journal finished; afterwards nothing in it reads as running. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.write({ k: 'c', t: Date.now() });
    fdatasyncSync(this.logFd);
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    closeSync(this.logFd);
  }

  private appendLog(buf: Buffer): [number, number] | undefined {
    if (buf.length === 0) return undefined;
    const at = this.logSize;
    let done = 0;
    while (done < buf.length) done += writeSync(this.logFd, buf, done, buf.length - done);
    this.logSize += buf.length;
    return [at, buf.length];
  }

  private write(rec: JournalHeader | JournalRecord): void {
    // One write(2) per line: with O_APPEND the line lands whole, so a torn line can only be the last.
    writeSync(this.fd, JSON.stringify(rec) + '\n');
  }

  /** Group commit: at most one fdatasync in flight; records written meanwhile ride on the next. */
  private sync(): void {
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    this.dirty = false;
    fdatasync(this.logFd, () =>
      fdatasync(this.fd, () => {
        this.syncing = false;
        if (this.dirty && !this.closed) this.sync();
      }),
    );
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
