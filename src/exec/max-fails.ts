// --max-fails K (HyperQueue's): a stage launches no more tasks once K of its tasks have failed,
// counted over the whole stage, every partition's journals, not only this partition's.
//
// A task counts as failed when its latest recorded attempt (newer than its reset, see resets.ts)
// failed with no retry coming: an end record `failed` without `rt`, or with `rt` whose writer has
// since closed its journal or died. Failures stay counted until `retry`/`rerun` resets them or a
// later attempt succeeds, so running a stopped stage again launches only its failed tasks (which
// cannot raise the count) until the count falls under K.
//
// Cheap: the stage's journals are read once, then only what was appended, at most every
// REFRESH_MS, and this run's own records are counted at once, without reading its journal back.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { stageStatusDir } from '../status/journal-format.js';
import { changedJournals, readAppended } from './journal-tail.js';
import { writerAlive, type JournalFile } from '../status/journal-reader.js';

const REFRESH_MS = 250;
const LIVENESS_MS = 1000;

// 0: nothing recorded yet
const OTHER = 1; // started, or interrupted
const SUCCEEDED = 2;
const FAILED = 3;
const RETRYING = 4; // failed, its writer will try again

interface Followed {
  file: JournalFile;
  offset: number;
  rest: string;
  closed: boolean;
  /** Tasks whose latest event is this journal's failure with a retry coming. */
  retrying: Set<number>;
}

export class StageFailures {
  private readonly lastT: Float64Array;
  private readonly code: Uint8Array;
  private readonly journals = new Map<string, Followed>();
  private readonly retryingIn = new Map<number, Followed>();
  private failed = 0;
  private refreshedAt = 0;
  private livenessAt = 0;
  private readonly dirState = { mtime: -1n };
  private readonly dir: string;
  /** File names of the journals followed (and our own), which discovery need not parse again. */
  private readonly known = new Set<string>();

  constructor(
    planDir: string,
    stageIndex: number,
    tasks: number,
    readonly limit: number,
    /** This run's journal: its records come through started()/ended(), not from the file. */
    private readonly own: string,
    /** Stage-relative reset times (resets.ts): older records are ignored. */
    private readonly resetTimes?: Float64Array,
  ) {
    this.dir = stageStatusDir(planDir, stageIndex);
    this.known.add(basename(own));
    this.lastT = new Float64Array(tasks);
    this.code = new Uint8Array(tasks);
    this.refresh(true);
  }

  /** Failed tasks of the stage, as last seen. */
  get count(): number {
    return this.failed;
  }

  /** K or more tasks of the stage have failed (looks at the journals again when due). */
  reached(): boolean {
    this.refresh();
    return this.failed >= this.limit;
  }

  /** Whether stage-relative task i is one of the failed ones: running it again cannot raise the count. */
  isFailed(i: number): boolean {
    return this.code[i] === FAILED;
  }

  /** Launch task i? Only while under K, or when i is itself a counted failure. */
  mayLaunch(i: number): boolean {
    return !this.reached() || this.isFailed(i);
  }

  started(i: number, t: number): void {
    this.apply(i, t, OTHER, undefined);
  }

  /** This run's end record for task i; `retrying` when it will be tried again. */
  ended(i: number, t: number, state: string, retrying: boolean): void {
    this.apply(i, t, endCode(state, retrying), undefined);
  }

  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.refreshedAt < REFRESH_MS) return;
    this.refreshedAt = now;
    this.discover();
    const checkLiveness = now - this.livenessAt >= LIVENESS_MS;
    if (checkLiveness) this.livenessAt = now;
    for (const j of this.journals.values()) {
      if (j.closed) continue;
      this.read(j);
      if (!j.closed && checkLiveness && j.retrying.size > 0) {
        let mtimeMs = j.file.mtimeMs;
        try {
          mtimeMs = statSync(j.file.path).mtimeMs;
        } catch {
          /* removed: judged by its pid */
        }
        if (!writerAlive({ ...j.file, mtimeMs }, now)) this.finish(j);
      }
    }
  }

  private discover(): void {
    for (const file of changedJournals(this.dir, this.dirState, this.known) ?? [])
      if (file.path !== this.own && !this.journals.has(file.path)) {
        this.journals.set(file.path, { file, offset: 0, rest: '', closed: false, retrying: new Set() });
        this.known.add(basename(file.path));
      }
  }

  private read(j: Followed): void {
    readAppended(j.file.path, j, (line) => this.line(j, line));
  }

  private line(j: Followed, line: string): void {
    let rec: { k?: string; i?: number; st?: string; t?: number; rt?: number };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return; // a torn last line, or the header
    }
    if (rec?.k === 'c') return this.finish(j);
    if (typeof rec?.i !== 'number' || typeof rec.t !== 'number') return;
    if (rec.k === 's') this.apply(rec.i, rec.t, OTHER, j);
    else if (rec.k === 'e') this.apply(rec.i, rec.t, endCode(rec.st, rec.rt === 1), j);
  }

  /** A journal closed, or its writer died: its retries to come will not come. */
  private finish(j: Followed): void {
    j.closed = true;
    for (const i of j.retrying) {
      this.retryingIn.delete(i);
      this.code[i] = FAILED;
      this.failed++;
    }
    j.retrying.clear();
  }

  private apply(i: number, t: number, code: number, j: Followed | undefined): void {
    if (i < 0 || i >= this.code.length) return;
    if (this.resetTimes && t < this.resetTimes[i]!) return;
    // As in status (aggregate.ts): a success is final; otherwise the latest event wins.
    if (this.code[i] === SUCCEEDED || t < this.lastT[i]!) return;
    this.lastT[i] = t;
    const before = this.code[i]!;
    if (before === FAILED) this.failed--;
    if (before === RETRYING) {
      this.retryingIn.get(i)?.retrying.delete(i);
      this.retryingIn.delete(i);
    }
    this.code[i] = code;
    if (code === FAILED) this.failed++;
    if (code === RETRYING && j) {
      j.retrying.add(i);
      this.retryingIn.set(i, j);
    }
  }
}

function endCode(state: string | undefined, retrying: boolean): number {
  if (state === 'succeeded') return SUCCEEDED;
  if (state === 'failed') return retrying ? RETRYING : FAILED;
  return OTHER;
}
