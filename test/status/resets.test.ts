// Reset markers (retry/rerun): records older than a task's reset count as attempts only; markers
// are read whole or not at all.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StageStatus } from '../../src/status/aggregate.js';
import type { JournalRecord } from '../../src/status/journal-schema.js';
import { readResets, resetsDir, stageResetTimes, toRanges, writeReset } from '../../src/status/resets.js';
import { scratch } from '../helpers.js';

const start = (i: number, a: number, t: number): JournalRecord => ({ k: 's', i, a, t });
const end = (i: number, a: number, t: number, st: 'succeeded' | 'failed'): JournalRecord => ({
  k: 'e',
  i,
  a,
  t,
  st,
  rc: st === 'succeeded' ? 0 : 1,
  d: 5,
});

describe('StageStatus with resets', () => {
  it('a task whose latest attempt predates its reset is pending, its attempts still counted', () => {
    const s = new StageStatus(3);
    s.setResets(Float64Array.from([0, 150, 150]));
    const j = s.journal(false);
    j(start(0, 1, 100));
    j(end(0, 1, 110, 'failed'));
    j(start(1, 1, 100));
    j(end(1, 1, 110, 'failed'));
    j(start(2, 1, 100));
    j(end(2, 1, 110, 'succeeded'));
    expect(s.stateOf(0)).toBe('failed');
    expect(s.task(1)).toMatchObject({ state: 'pending', attempts: 1, exitCode: null, startedAt: null });
    // A success is final, except against a reset newer than it (rerun --force).
    expect(s.task(2)).toMatchObject({ state: 'pending', attempts: 1 });
    expect(s.counts()).toMatchObject({ pending: 2, failed: 1 });
  });

  it('attempts after the reset decide, in whichever journal order they are folded', () => {
    const s = new StageStatus(2);
    s.setResets(Float64Array.from([150, 150]));
    const newer = s.journal(false);
    const older = s.journal(false);
    newer(start(0, 2, 200));
    newer(end(0, 2, 210, 'failed'));
    older(start(0, 1, 100));
    older(end(0, 1, 110, 'succeeded'));
    // An old run that was lost (start, no end) is not lost after the reset either.
    older(start(1, 1, 100));
    expect(s.task(0)).toMatchObject({ state: 'failed', attempts: 2 });
    expect(s.stateOf(1)).toBe('pending');
  });

  it('a task started before its reset and ending after it counts the end', () => {
    const s = new StageStatus(1, 10);
    s.setResets(Float64Array.from([150]));
    const j = s.journal(true);
    j(start(10, 1, 100));
    j(end(10, 1, 200, 'succeeded'));
    expect(s.stateOf(0)).toBe('succeeded');
  });
});

describe('reset markers', () => {
  it('compress selections to ranges and keep the newest time per task', () => {
    expect(toRanges([0, 1, 2, 5, 7, 8])).toEqual([
      [0, 3],
      [5, 6],
      [7, 9],
    ]);
    const plan = scratch();
    writeReset(plan, 100, { '0': [[0, 2]], '1': [[0, 1]] });
    writeReset(plan, 300, { '0': [[1, 3]] });
    const markers = readResets(plan);
    expect(markers.map((m) => m.t)).toEqual([100, 300]);
    expect([...stageResetTimes(markers, 0, 4)!]).toEqual([100, 300, 300, 0]);
    expect([...stageResetTimes(markers, 1, 2)!]).toEqual([100, 0]);
    expect(stageResetTimes(markers, 2, 5)).toBeUndefined();
  });

  it('skip the temp file of a killed retry, and name a damaged marker', () => {
    const plan = scratch();
    mkdirSync(resetsDir(plan), { recursive: true });
    writeFileSync(join(resetsDir(plan), '.abc.1.x.json.tmp'), '{"v":1,"t":5,"sta');
    expect(readResets(plan)).toEqual([]);
    writeFileSync(join(resetsDir(plan), 'abc.1.x.json'), '{"v":1,"t":5,"stages":{"0":[[0,"x"]]}}');
    expect(() => readResets(plan)).toThrow(/abc\.1\.x\.json has a bad task range/);
  });
});
