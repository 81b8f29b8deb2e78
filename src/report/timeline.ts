// The Gantt chart's data: every recorded attempt placed on a (host, slot) lane, then sampled so that a
// million-attempt plan still gives a page of a few hundred kilobytes.
//
// Slots are not recorded in the journals; they are recovered per host by interval partitioning
// (attempts sorted by start, each takes the lane that freed earliest, or a new one), which gives
// exactly as many lanes as the host ran attempts at once.

/** Attempt outcomes, as the page colours them. Indices are part of the page's data format. */
export const OUTCOMES = ['succeeded', 'failed', 'retried', 'interrupted', 'running', 'lost'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_CODE = Object.fromEntries(OUTCOMES.map((o, k) => [o, k])) as Record<Outcome, number>;

/** Growable columns of attempts: a million attempts as objects would cost ~150 MB. */
export class Attempts {
  length = 0;
  start = new Float64Array(1024);
  end = new Float64Array(1024);
  outcome = new Uint8Array(1024);
  host = new Uint16Array(1024);
  readonly hosts: string[] = [];
  private readonly hostIndex = new Map<string, number>();

  hostId(name: string): number {
    let id = this.hostIndex.get(name);
    if (id === undefined) {
      id = this.hosts.length;
      this.hosts.push(name);
      this.hostIndex.set(name, id);
    }
    return id;
  }

  push(start: number, end: number, outcome: number, host: number): void {
    if (this.length === this.start.length) this.grow();
    const k = this.length++;
    this.start[k] = start;
    this.end[k] = Math.max(start, end);
    this.outcome[k] = outcome;
    this.host[k] = host;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const f = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.start = f(this.start);
    this.end = f(this.end);
    const o = new Uint8Array(n);
    o.set(this.outcome);
    this.outcome = o;
    const h = new Uint16Array(n);
    h.set(this.host);
    this.host = h;
  }
}

export interface TimelineData {
  /** Epoch ms of the first start; bar times are relative to it. */
  t0: number;
  /** Span in ms. */
  span: number;
  /** Lane labels, grouped by host. */
  lanes: string[];
  /** Flat [lane, start, duration, outcome] quadruples, times in whole ms relative to t0. */
  bars: number[];
  /** Attempts recorded in all, and how many of each outcome. */
  total: number;
  byOutcome: Record<Outcome, number>;
  /** Successful attempts kept: every `stride`-th (1 = all); other outcomes are all kept up to a cap. */
  stride: number;
  shown: number;
}

export const MAX_BARS = 12_000;
/**
 * A slot's next attempt is recorded as starting a few ms before the previous one's end record
 * (its start is taken as end time minus duration): overlaps this small are the same slot.
 */
const SLOT_SLACK_MS = 10;
export const MAX_LANES = 2_000;

export function buildTimeline(a: Attempts, maxBars = MAX_BARS): TimelineData {
  const n = a.length;
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (let k = 0; k < n; k++) byOutcome[OUTCOMES[a.outcome[k]!]!]++;
  if (n === 0) return { t0: 0, span: 0, lanes: [], bars: [], total: 0, byOutcome, stride: 1, shown: 0 };

  // Order by (host, start): one sort of indices, then lanes per host.
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((x, y) => a.host[x]! - a.host[y]! || a.start[x]! - a.start[y]!);
  const lane = new Int32Array(n);
  const lanes: string[] = [];
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let p = 0; p < n;) {
    const host = a.host[order[p]!]!;
    const heap = new LaneHeap();
    let q = p;
    for (; q < n && a.host[order[q]!] === host; q++) {
      const k = order[q]!;
      const free = heap.peek();
      let slot: number;
      if (free && free.end <= a.start[k]! + SLOT_SLACK_MS) {
        slot = free.slot;
        heap.pop();
      } else slot = heap.size;
      heap.push({ end: a.end[k]!, slot });
      lane[k] = lanes.length + slot;
      if (a.start[k]! < t0) t0 = a.start[k]!;
      if (a.end[k]! > t1) t1 = a.end[k]!;
    }
    // Every lane stays in the heap (a reused one is popped and pushed back): its size is the lane count.
    for (let s = 0; s < heap.size; s++) lanes.push(`${a.hosts[host]} · slot ${s}`);
    p = q;
  }

  // Sample: keep every attempt that is not a plain success (up to half the budget), and spread the
  // rest of the budget evenly over the successes.
  const others = n - byOutcome.succeeded;
  const keepOthers = Math.min(others, Math.floor(maxBars / 2));
  const otherStride = others > keepOthers ? Math.ceil(others / keepOthers) : 1;
  const successBudget = Math.max(1, maxBars - keepOthers);
  const stride = byOutcome.succeeded > successBudget ? Math.ceil(byOutcome.succeeded / successBudget) : 1;
  const bars: number[] = [];
  let seenOk = 0;
  let seenOther = 0;
  for (let p = 0; p < n; p++) {
    const k = order[p]!;
    const ok = a.outcome[k] === 0;
    if (ok ? seenOk++ % stride !== 0 : seenOther++ % otherStride !== 0) continue;
    if (lane[k]! >= MAX_LANES) continue;
    const s = Math.round(a.start[k]! - t0);
    bars.push(lane[k]!, s, Math.max(0, Math.round(a.end[k]! - t0) - s), a.outcome[k]!);
  }
  return {
    t0,
    span: Math.max(1, t1 - t0),
    lanes: lanes.slice(0, MAX_LANES),
    bars,
    total: n,
    byOutcome,
    stride,
    shown: bars.length / 4,
  };
}

/** A min-heap of busy lanes by the time they free up. */
class LaneHeap {
  private readonly items: { end: number; slot: number }[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): { end: number; slot: number } | undefined {
    return this.items[0];
  }

  push(item: { end: number; slot: number }): void {
    const h = this.items;
    h.push(item);
    let c = h.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (h[p]!.end <= h[c]!.end) break;
      [h[p], h[c]] = [h[c]!, h[p]!];
      c = p;
    }
  }

  pop(): void {
    const h = this.items;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < h.length && h[l]!.end < h[m]!.end) m = l;
      if (r < h.length && h[r]!.end < h[m]!.end) m = r;
      if (m === p) break;
      [h[p], h[m]] = [h[m]!, h[p]!];
      p = m;
    }
  }
}
