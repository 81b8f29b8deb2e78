// Balanced mode: the partitions of a stage share its work through the plan directory alone. Each
// partition's slice is cut into chunks (a fixed layout every partition computes from (T, N)); a
// partition claims its own chunks front to back (claims.ts). Slices move at one pace: when another
// slice has fallen PACE_LAG chunks behind ours (its tasks are longer, or its partition started late
// or not at all), we take its last free chunk before our own (its owner works from the front), so that long tasks clustered in one
// slice start early, spread over every partition, instead of queueing behind its slots until the
// others run dry. A chunk whose tasks run far longer than this partition's typical task (HEAVY_X
// times the median) is split: the back half of its queue goes back (a released range, taken by
// others before anything else), so a cluster of long tasks spreads over every partition's slots
// while it is found, not at the end. When none of our own is left we take the last free chunk of the
// partition with the most free chunks left, then chunks whose holder is gone.
// A partition with free slots and nothing to claim says so (a hungry marker); a holder with tasks
// still queued behind its busy slots then gives back the back half of its queue, as a new chunk.
// Claims are per chunk, so a stage costs O(chunks) small files, never one per task.
import { actualPartitions, partitionSlice } from '../plan/partition.js';
import {
  chunkKey,
  effectiveEnd,
  type ChunkEntry,
  type ClaimDir,
  type Listing,
  type Range,
} from './claims.js';
import { openUnit, unitTodo, type TaskOutcome, type Unit, type UnitContext } from './balance-unit.js';
import { parseJournalName } from '../status/journal-format.js';
import { readTasks } from '../plan/read.js';
import { NO_BACKUP_ENV, type Stragglers } from './balance-backup.js';

/** Chunks per partition's slice: enough to even out the load, few enough to cost nothing. */
export const CHUNKS_PER_PARTITION = 16;
/** How often a holder looks for hungry partitions, and a hungry one for work (ms). */
export const POLL_MS = 100;
/** How many chunks a slice may fall behind ours before we take its next one first. */
const PACE_LAG = 2;
/** A chunk is heavy when its tasks run this many times longer than the partition's median task. */
const HEAVY_X = 4;
/** Finished tasks the median needs before anything is judged heavy. */
const HEAVY_SAMPLES = 5;

export interface Held {
  /** The claim's name range, and its generation. */
  name: Range;
  gen: number;
  /** End of what is still ours (what we gave back is cut off). */
  end: number;
  u: Unit;
  /** Unit-relative tasks not started yet, ascending. */
  queue: number[];
  running: number;
  /** When each running task started (ms), and the durations of those finished (ms). */
  startedAt: Map<number, number>;
  took: number[];
  failed: boolean;
  interrupted: boolean;
}

export interface Item {
  u: Unit;
  k: number;
  held: Held;
}

export interface BalanceStats {
  /** Chunks claimed, of them taken from other partitions' slices, and taken over from a holder gone. */
  claimed: number;
  stolen: number;
  takenOver: number;
  /** Tasks run that belong to other partitions' slices. */
  stolenTasks: number;
  /** Times this partition gave back the back half of a queue (to a hungry partition, or split). */
  gaveBack: number;
  /** Of them, heavy chunks split (their tasks far longer than this partition's typical). */
  split: number;
  /** Backup copies this partition started. */
  backups: number;
}

export interface BalancerOptions {
  claims: ClaimDir;
  n: number;
  index: number;
  stageTasks: number;
  main: Unit;
  /** Journal base of this run (its main journal): the holder named in claims. */
  holder: string;
  unitContext: UnitContext;
  chunksPerPartition?: number;
  /** Tasks this partition runs at once. */
  slots: number;
  /** Backup tasks: where stragglers are found (undefined: backups are off). */
  stragglers?: Stragglers;
}

export class Balancer {
  readonly stats: BalanceStats = {
    claimed: 0,
    stolen: 0,
    takenOver: 0,
    stolenTasks: 0,
    gaveBack: 0,
    split: 0,
    backups: 0,
  };
  /** Durations (ms) of the tasks this partition finished, for the median of heavy(). */
  private readonly durations: number[] = [];
  private readonly held: Held[] = [];
  private readonly layout: Range[][];
  private readonly own: Range;
  private readonly ownDone = new Set<string>();
  /** Chunks (keys) not to look at again: finished, or given up. */
  private readonly skip = new Set<string>();
  private readonly closing: Promise<void>[] = [];
  private readonly startedAt = Date.now();
  private lock: Promise<unknown> = Promise.resolve();
  private hungry = false;
  private ensured = false;
  private lastWait = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: BalancerOptions) {
    const parts = actualPartitions(o.stageTasks, o.n);
    const per = o.chunksPerPartition ?? CHUNKS_PER_PARTITION;
    this.layout = Array.from({ length: parts }, (_, p) => {
      const s = partitionSlice(o.stageTasks, o.n, p);
      const len = s.end - s.start;
      const m = Math.min(per, len);
      return Array.from({ length: m }, (_, j) => {
        const c = partitionSlice(len, m, j);
        return { start: s.start + c.start, end: s.start + c.end };
      });
    });
    this.own = { start: o.main.start, end: o.main.end };
    this.timer = setInterval(() => {
      this.giveToHungry();
      this.splitHeavy();
    }, POLL_MS);
    this.timer.unref();
  }

  /** The next task to run; 'wait' while others still hold work (try again soon); undefined: all done. */
  next(): Promise<Item | 'wait' | undefined> {
    const run = this.lock.then(() => this.nextLocked());
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** A task a live copy is working on (peers.ts): back in its queue, tried again later. */
  requeue(item: Item): void {
    item.held.running--;
    item.held.startedAt.delete(item.k);
    const q = item.held.queue;
    let at = q.length;
    while (at > 0 && q[at - 1]! > item.k) at--;
    q.splice(at, 0, item.k);
  }

  /** A task's outcome in this run; a chunk whose tasks have all ended gets its done marker. */
  finished(item: Item, outcome: TaskOutcome): void {
    const h = item.held;
    h.running--;
    const t = h.startedAt.get(item.k);
    h.startedAt.delete(item.k);
    if (t !== undefined && outcome !== 'skipped' && outcome !== 'interrupted') {
      h.took.push(Date.now() - t);
      this.durations.push(Date.now() - t);
    }
    if (outcome === 'failed' || outcome === 'blocked') h.failed = true;
    if (outcome === 'interrupted') h.interrupted = true;
    if (item.u !== this.o.main && outcome !== 'skipped') this.stats.stolenTasks++;
    if (h.queue.length > 0 || h.running > 0) return;
    this.held.splice(this.held.indexOf(h), 1);
    if (!h.interrupted && h.gen >= 0) this.o.claims.markDone(h.name, h.gen, h.failed ? 'f' : 'd');
    this.closeUnit(h.u);
  }

  /** Stop taking work and give back every task not started (a stop, or the wallclock warning). */
  giveBack(): void {
    for (const h of this.held) {
      if (h.queue.length === 0) continue;
      const from = { start: h.u.start + h.queue[0]!, end: h.end };
      this.o.claims.release(h.name, h.gen, from);
      h.end = from.start;
      h.queue.length = 0;
      h.interrupted = true;
      this.stats.gaveBack++;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.setHungry(false);
    for (const h of this.held.splice(0)) this.closeUnit(h.u);
    const results = await Promise.allSettled(this.closing);
    const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (bad) throw bad.reason;
  }

  private closeUnit(u: Unit): void {
    if (u === this.o.main) return;
    this.closing.push(
      (async () => {
        await Promise.all(u.hooks.map((h) => h.close()));
        u.cgroups?.close();
        await u.journal.close();
      })(),
    );
  }

  private async nextLocked(): Promise<Item | 'wait' | undefined> {
    for (;;) {
      for (const h of this.held)
        if (h.queue.length > 0) {
          h.running++;
          const k = h.queue.shift()!;
          h.startedAt.set(k, Date.now());
          return { u: h.u, k, held: h };
        }
      if (Date.now() - this.lastWait < POLL_MS) return 'wait';
      const listing = this.o.claims.list();
      const alive = this.aliveCache();
      const got = await this.claimOne(listing, alive);
      if (got === undefined) {
        if (!this.othersWorking(listing, alive)) return undefined;
        const backup = await this.backup();
        if (backup) return backup;
        this.lastWait = Date.now();
        this.setHungry(true);
        return 'wait';
      }
      this.setHungry(false);
      if (got.queue.length === 0) {
        this.held.splice(this.held.indexOf(got), 1);
        this.o.claims.markDone(got.name, got.gen, 'd');
        this.closeUnit(got.u);
      }
    }
  }

  private aliveCache(): (base: string | undefined) => boolean {
    const now = Date.now();
    const memo = new Map<string | undefined, boolean>();
    return (base) => {
      let v = memo.get(base);
      if (v === undefined) {
        v = base === this.o.holder || this.o.claims.alive(base, now);
        memo.set(base, v);
      }
      return v;
    };
  }

  /** Claim one chunk with work: our own first, then others'; undefined when none can be had. */
  private async claimOne(
    listing: Listing,
    alive: (b: string | undefined) => boolean,
  ): Promise<Held | undefined> {
    // Tasks given back first (a heavy chunk split, a hungry partition served, a stop): the largest.
    const released: Range[] = [];
    for (const e of listing.chunks.values())
      for (const r of e.released) if (!this.skip.has(chunkKey(r))) released.push(r);
    released.sort((a, b) => b.end - b.start - (a.end - a.start));
    for (const r of released) {
      const got = await this.take(r, listing.chunks.get(chunkKey(r)), alive, false);
      if (got === 'never') this.skip.add(chunkKey(r));
      else if (got) return got;
    }
    const lost = new Set<string>(); // free in the listing, but another partition won it since
    for (let c = this.behind(listing, lost); c; c = this.behind(listing, lost)) {
      const got = await this.take(c, undefined, alive, false);
      if (got === 'never') this.skip.add(chunkKey(c));
      else if (got) return got;
      else lost.add(chunkKey(c));
    }
    for (const c of this.layout[this.o.index]!) {
      const key = chunkKey(c);
      if (this.ownDone.has(key)) continue;
      if (unitTodo(this.o.main, c.start, c.end).length === 0) {
        this.ownDone.add(key);
        continue;
      }
      const r = await this.take(c, listing.chunks.get(key), alive, true);
      if (r === 'never') this.ownDone.add(key);
      else if (r) {
        this.ownDone.add(key);
        return r;
      }
    }
    // Then the back of the slice with the most free chunks, then takeovers.
    const free = this.layout.map((chunks, p) =>
      p === this.o.index
        ? []
        : chunks.filter((c) => !this.skip.has(chunkKey(c)) && !listing.chunks.has(chunkKey(c))),
    );
    for (;;) {
      let best = -1;
      for (let p = 0; p < free.length; p++)
        if (free[p]!.length > (best < 0 ? 0 : free[best]!.length)) best = p;
      if (best < 0) break;
      const c = free[best]!.pop()!;
      const got = await this.take(c, undefined, alive, false);
      if (got === 'never') this.skip.add(chunkKey(c));
      else if (got) return got;
    }
    for (let p = 0; p < this.layout.length; p++) {
      if (p === this.o.index) continue;
      for (const c of this.layout[p]!) {
        const key = chunkKey(c);
        const e = listing.chunks.get(key);
        if (!e || this.skip.has(key)) continue;
        const got = await this.take(c, e, alive, false);
        if (got === 'never') this.skip.add(key);
        else if (got) return got;
      }
    }
    return undefined;
  }

  /**
   * The last free chunk of the slice furthest behind ours, when it is PACE_LAG chunks behind or more
   * (progress: the share of a slice's chunks claimed or finished, in chunks of ours); else undefined.
   */
  private behind(listing: Listing, lost: Set<string>): Range | undefined {
    const isFree = (c: Range) => {
      const key = chunkKey(c);
      return !listing.chunks.has(key) && !this.skip.has(key) && !lost.has(key);
    };
    const taken = (p: number) =>
      this.layout[p]!.filter((c) => !isFree(c) || (p === this.o.index && this.ownDone.has(chunkKey(c))))
        .length;
    const mine = this.layout[this.o.index]!;
    if (mine.length === 0) return undefined;
    const pace = taken(this.o.index) / mine.length;
    let best: Range | undefined;
    let bestShare = pace - PACE_LAG / mine.length;
    for (let p = 0; p < this.layout.length; p++) {
      const chunks = this.layout[p]!;
      if (p === this.o.index || chunks.length === 0) continue;
      const share = taken(p) / chunks.length;
      if (share > bestShare) continue;
      const c = chunks.findLast(isFree); // its owner works from the front: a second front
      if (!c) continue;
      best = c;
      bestShare = share;
    }
    return best;
  }

  /**
   * Try to claim chunk c (its listing entry e). 'never': finished for this run; undefined: held by
   * someone alive, or lost the race.
   */
  private async take(
    c: Range,
    e: ChunkEntry | undefined,
    alive: (b: string | undefined) => boolean,
    own: boolean,
  ): Promise<Held | 'never' | undefined> {
    let gen = 0;
    let end = c.end;
    let fresh = true;
    if (e && e.gen >= 0) {
      end = effectiveEnd(e);
      if (e.done) {
        // A chunk finished before this run started is ours to run again when our slice's status
        // says so (failures, a retry or rerun since): what re-running a static partition does.
        if (!own || this.o.claims.doneAt(e) >= this.startedAt) return 'never';
      } else {
        const holder = this.o.claims.holderOf(c, e.gen);
        if (alive(holder)) return undefined;
        fresh = own && holderStarted(holder) < this.startedAt;
      }
      gen = e.gen + 1;
    }
    if (end <= c.start) return 'never';
    this.ensureDir();
    if (!this.o.claims.tryClaim(c, gen, this.o.holder)) return undefined;
    this.stats.claimed++;
    if (!own) this.stats.stolen++;
    if (gen > 0 && !e?.done) this.stats.takenOver++;
    // Our own chunk, not touched since this run read its status: the partition's own unit. Any
    // other: a unit of its own, its status read now.
    const inOwn = c.start >= this.own.start && end <= this.own.end;
    const u =
      own && inOwn && fresh
        ? this.o.main
        : await openUnit(
            this.o.unitContext,
            { start: c.start, end },
            { watch: this.o.stragglers !== undefined },
          );
    const held: Held = {
      name: { start: c.start, end: c.end },
      gen,
      end,
      u,
      queue: unitTodo(u, c.start, end),
      running: 0,
      startedAt: new Map(),
      took: [],
      failed: false,
      interrupted: false,
    };
    this.held.push(held);
    return held;
  }

  /** A second copy of the longest straggler, when backups are on and one runs past the threshold. */
  private async backup(): Promise<Item | undefined> {
    const s = this.o.stragglers;
    if (!s) return undefined;
    const ctx = this.o.unitContext;
    for (const st of s.find()) {
      s.forget(st);
      const [rec] = readTasks(ctx.plan, ctx.stage, st.i, st.i + 1);
      const env = { ...ctx.stage.env, ...rec?.env };
      if (env[NO_BACKUP_ENV] === '1') continue; // not safe to run twice at once
      this.ensureDir();
      if (!this.o.claims.tryExclusive(`b${st.i}.${st.attempt}`)) continue;
      const u = await openUnit(ctx, { start: st.i, end: st.i + 1 }, { backup: true, watch: true });
      const queue = unitTodo(u);
      const held: Held = {
        name: { start: st.i, end: st.i + 1 },
        gen: -1,
        end: st.i + 1,
        u,
        queue: [],
        running: 0,
        startedAt: new Map(),
        took: [],
        failed: false,
        interrupted: false,
      };
      this.held.push(held);
      if (queue.length === 0) {
        this.finished({ u, k: 0, held: { ...held, running: 1 } }, 'skipped');
        continue;
      }
      this.stats.backups++;
      held.running++;
      held.startedAt.set(0, Date.now());
      return { u, k: 0, held };
    }
    return undefined;
  }

  /** Does a live partition other than this one hold a chunk it has not finished? */
  private othersWorking(listing: Listing, alive: (b: string | undefined) => boolean): boolean {
    for (const e of listing.chunks.values()) {
      if (e.gen < 0 || e.done) continue;
      const holder = this.o.claims.holderOf({ start: e.start, end: e.end }, e.gen);
      if (holder !== this.o.holder && alive(holder)) return true;
    }
    return false;
  }

  private ensureDir(): void {
    if (this.ensured) return;
    this.o.claims.ensure();
    this.ensured = true;
  }

  private setHungry(on: boolean): void {
    if (on === this.hungry) return;
    this.ensureDir();
    this.hungry = on;
    this.o.claims.setHungry(this.o.holder, on);
  }

  /**
   * Split a heavy chunk: one whose tasks (those finished, and the running ones so far) take HEAVY_X
   * times this partition's median task, with more tasks queued than our slots start next. The back
   * half of its queue goes back as a chunk of its own, which any partition takes before its own
   * work; the taker splits it again if it is still heavy there.
   */
  private splitHeavy(): void {
    const typical = median(this.durations);
    if (typical === undefined) return;
    const now = Date.now();
    for (const h of this.held) {
      if (h.queue.length <= this.o.slots || h.gen < 0) continue;
      const n = h.took.length + h.startedAt.size;
      let sum = h.took.reduce((a, d) => a + d, 0);
      for (const t of h.startedAt.values()) sum += now - t;
      if (n === 0 || sum / n <= HEAVY_X * Math.max(typical, 1)) continue;
      if (!this.keepOnly(h, Math.max(this.o.slots, Math.ceil(h.queue.length / 2)))) return;
      this.stats.split++;
    }
  }

  /** Give back the queue of h past its first `keep` tasks (a chunk of its own); false: could not. */
  private keepOnly(h: Held, keep: number): boolean {
    const from = { start: h.u.start + h.queue[keep]!, end: h.end };
    try {
      this.o.claims.release(h.name, h.gen, from);
    } catch {
      return false;
    }
    h.queue.length = keep;
    h.end = from.start;
    this.stats.gaveBack++;
    return true;
  }

  /**
   * When every slot of ours is busy and a live partition is hungry, give it the back half of our
   * longest queue (all of it when it is one task): those tasks would only wait here.
   */
  private giveToHungry(): void {
    const busy = this.held.reduce((n, h) => n + h.running, 0);
    if (busy < this.o.slots) return;
    const h = this.held.reduce<Held | undefined>(
      (a, b) => (b.queue.length > (a?.queue.length ?? 0) ? b : a),
      undefined,
    );
    if (!h) return;
    const alive = this.aliveCache();
    if (!this.o.claims.hungry().some((b) => b !== this.o.holder && alive(b))) return;
    this.keepOnly(h, Math.floor(h.queue.length / 2));
  }
}

/** The median of durations (ms); undefined with fewer than HEAVY_SAMPLES. */
function median(d: number[]): number | undefined {
  if (d.length < HEAVY_SAMPLES) return undefined;
  return [...d].sort((a, b) => a - b)[d.length >> 1];
}

/** When the run holding a claim started (from its journal's name); 0 when unknown. */
function holderStarted(base: string | undefined): number {
  return (base && parseJournalName(`${base}.jsonl`)?.t) || 0;
}
