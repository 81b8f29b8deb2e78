// The report's reductions, pure: lanes recovered from attempt times, the timeline's sampling, the
// duration histogram and its stragglers.
import { describe, expect, it } from 'vitest';
import { buildHistogram } from '../../src/report/histogram.js';
import { Attempts, buildTimeline, OUTCOME_CODE } from '../../src/report/timeline.js';

const OK = OUTCOME_CODE.succeeded;

describe('timeline', () => {
  it('gives each host as many lanes as it ran attempts at once, and never puts two overlapping attempts on one lane', () => {
    const a = new Attempts();
    const h1 = a.hostId('node1');
    const h2 = a.hostId('node2');
    // node1: three at once, then one after all of them; node2: two one after the other.
    a.push(1000, 2000, OK, h1);
    a.push(1100, 1900, OUTCOME_CODE.failed, h1);
    a.push(1200, 3000, OK, h1);
    a.push(2500, 2600, OUTCOME_CODE.retried, h1);
    a.push(1000, 1500, OK, h2);
    a.push(1600, 1700, OUTCOME_CODE.interrupted, h2);
    const tl = buildTimeline(a);
    expect(tl.lanes).toEqual(['node1 · slot 0', 'node1 · slot 1', 'node1 · slot 2', 'node2 · slot 0']);
    expect(tl.t0).toBe(1000);
    expect(tl.span).toBe(2000);
    expect(tl.shown).toBe(6);
    const bars = [];
    for (let k = 0; k < tl.bars.length; k += 4) bars.push(tl.bars.slice(k, k + 4));
    for (const x of bars)
      for (const y of bars)
        if (x !== y && x[0] === y[0]) expect(x[1]! + x[2]! <= y[1]! || y[1]! + y[2]! <= x[1]!).toBe(true);
    expect(tl.byOutcome).toMatchObject({ succeeded: 3, failed: 1, retried: 1, interrupted: 1 });
  });

  it('samples a large run to its budget, keeping every attempt that did not simply succeed', () => {
    const a = new Attempts();
    const h = a.hostId('n');
    for (let k = 0; k < 100_000; k++) a.push(k, k + 1, k % 2000 === 0 ? OUTCOME_CODE.failed : OK, h);
    const tl = buildTimeline(a, 1000);
    expect(tl.total).toBe(100_000);
    expect(tl.shown).toBeLessThanOrEqual(1000);
    expect(tl.stride).toBeGreaterThan(100);
    const outcomes = [];
    for (let k = 3; k < tl.bars.length; k += 4) outcomes.push(tl.bars[k]);
    expect(outcomes.filter((o) => o === OUTCOME_CODE.failed)).toHaveLength(50);
  });

  it('is empty without attempts', () => {
    expect(buildTimeline(new Attempts())).toMatchObject({ total: 0, lanes: [], bars: [] });
  });
});

describe('histogram', () => {
  it('bins every duration once and marks the far-out slow ones as stragglers', () => {
    const d = new Float64Array(101);
    for (let k = 0; k < 100; k++) d[k] = 100 + (k % 10);
    d[100] = 5000;
    const h = buildHistogram(d, 40);
    expect(h.counts.reduce((x, y) => x + y, 0)).toBe(101);
    expect(h.edges).toHaveLength(41);
    expect(h.log).toBe(true);
    expect(h.stragglers).toBe(1);
    expect(h.threshold).toBeGreaterThan(109);
    expect(h.threshold).toBeLessThan(5000);
    expect(h).toMatchObject({ min: 100, max: 5000, count: 101 });
  });

  it('finds no stragglers among equal durations, and none at all among too few tasks', () => {
    expect(buildHistogram(new Float64Array(50).fill(20)).stragglers).toBe(0);
    expect(buildHistogram(new Float64Array([1, 2, 900])).threshold).toBeNull();
  });
});
