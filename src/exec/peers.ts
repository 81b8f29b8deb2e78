// Other copies of this partition running at the same time (a scheduler's requeue while the first
// copy still runs, or a user starting it twice). Before each attempt run-partition looks at what
// their journals appended since its last look (one read per live copy: cheap), and skips a task a
// copy has recorded as succeeded, or leaves for later one that a live copy is working on.
//
// Two copies may pick the same task at the same moment. Each writes its start record first and then
// looks again: a copy that sees another's open start for the task withdraws (interrupted, not run).
// At least one of the two sees the other's record, so at most one runs it (both may withdraw; the
// task is then taken up again later).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { stageStatusDir } from '../status/journal-format.js';
import { changedJournals, readAppended } from './journal-tail.js';
import { thisHost, writerAlive, type JournalFile } from '../status/journal-reader.js';

interface Peer {
  file: JournalFile;
  offset: number;
  rest: string;
  closed: boolean;
  alive: boolean;
  /** Stage-relative tasks this copy has started and not succeeded (it may still retry them). */
  open: Set<number>;
}

const LIVENESS_MS = 300;

export class PeerJournals {
  private readonly dir: string;
  private readonly peers = new Map<string, Peer>();
  private readonly ignored = new Set<string>();
  /** File names of the journals in peers or ignored, which discovery need not parse again. */
  private readonly known = new Set<string>();
  private readonly succeeded = new Set<number>();
  private readonly dirState = { mtime: -1n };
  private checkedAt = 0;
  /** Runs (journal names) of copies on this host found dead since the last call of takeDead. */
  private dead: string[] = [];

  /**
   * `known` are the journals already read into the partition's prior status: those not live then
   * are finished and ignored; live ones are followed from their start.
   */
  constructor(
    planDir: string,
    stageIndex: number,
    private readonly range: { start: number; end: number },
    private readonly own: string,
    known: { file: JournalFile; live: boolean }[],
    /** Range-relative reset times (resets.ts): a success recorded before its task's reset is old. */
    private readonly resetTimes?: Float64Array,
  ) {
    this.dir = stageStatusDir(planDir, stageIndex);
    for (const { file, live } of known) {
      if (live && file.path !== own) this.follow(file);
      else this.ignore(file.path);
    }
    this.ignore(own);
  }

  /** Read what the copies appended; find new copies when the directory changed. */
  refresh(): void {
    this.discover();
    const now = Date.now();
    const checkLiveness = now - this.checkedAt >= LIVENESS_MS;
    if (checkLiveness) this.checkedAt = now;
    for (const peer of this.peers.values()) {
      if (!peer.alive) continue;
      this.read(peer);
      if (peer.closed) peer.alive = false;
      else if (checkLiveness) {
        let mtimeMs = peer.file.mtimeMs;
        try {
          mtimeMs = statSync(peer.file.path).mtimeMs;
        } catch {
          /* removed: judged by its pid below */
        }
        peer.alive = writerAlive({ ...peer.file, mtimeMs }, now);
        if (!peer.alive && peer.file.host === thisHost) this.dead.push(peer.file.base);
      }
    }
  }

  isSucceeded(i: number): boolean {
    return this.succeeded.has(i);
  }

  /** A live copy has started task i and not finished it for good. */
  isHeld(i: number): boolean {
    for (const peer of this.peers.values()) if (peer.alive && peer.open.has(i)) return true;
    return false;
  }

  get count(): number {
    return this.peers.size;
  }

  /** Journal names of copies on this host that died since the last call (their leftovers to stop). */
  takeDead(): string[] {
    const out = this.dead;
    this.dead = [];
    return out;
  }

  private discover(): void {
    for (const file of changedJournals(this.dir, this.dirState, this.known) ?? []) {
      if (this.peers.has(file.path) || this.ignored.has(file.path)) continue;
      if (file.end <= this.range.start || file.start >= this.range.end) this.ignore(file.path);
      else this.follow(file);
    }
  }

  private ignore(path: string): void {
    this.ignored.add(path);
    this.known.add(basename(path));
  }

  private follow(file: JournalFile): void {
    this.peers.set(file.path, { file, offset: 0, rest: '', closed: false, alive: true, open: new Set() });
    this.known.add(basename(file.path));
  }

  private read(peer: Peer): void {
    readAppended(peer.file.path, peer, (line) => this.apply(peer, line));
  }

  private apply(peer: Peer, line: string): void {
    let rec: { k?: string; i?: number; st?: string; t?: number };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return;
    }
    if (rec.k === 'c') peer.closed = true;
    if (typeof rec.i !== 'number') return;
    if (rec.k === 's') peer.open.add(rec.i);
    else if (rec.k === 'e' && rec.st === 'succeeded') {
      peer.open.delete(rec.i);
      const reset = this.resetTimes?.[rec.i - this.range.start] ?? 0;
      if ((rec.t ?? 0) >= reset) this.succeeded.add(rec.i);
    } else if (rec.k === 'e' && (rec.st === 'interrupted' || rec.st === 'blocked' || rec.st === 'superseded'))
      peer.open.delete(rec.i);
  }
}
