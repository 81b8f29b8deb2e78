import { describe, expect, it } from 'vitest';
import { StageStatus } from '../../src/status/aggregate.js';
import type { JournalRecord } from '../../src/status/journal-schema.js';

const start = (i: number, a: number, t: number): JournalRecord => ({ k: 's', i, a, t });
const end = (
  i: number,
  a: number,
  t: number,
  st: 'succeeded' | 'failed' | 'interrupted',
  rc: number | null = st === 'succeeded' ? 0 : 1,
): JournalRecord => ({
  k: 'e',
  i,
  a,
  t,
  st,
  rc,
  d: 5,
});

describe('StageStatus', () => {
  it('starts with every task pending', () => {
    const s = new StageStatus(3);
    expect(s.counts()).toMatchObject({ pending: 3, succeeded: 0 });
  });

  it('takes the latest event, whichever journal it is in', () => {
    const s = new StageStatus(1);
    const older = s.journal(false);
    const newer = s.journal(false);
    newer(end(0, 2, 200, 'failed', 4));
    older(start(0, 1, 100));
    older(end(0, 1, 110, 'interrupted', null));
    expect(s.task(0)).toMatchObject({ state: 'failed', exitCode: 4, attempts: 2 });
  });

  it('never lets a later failure undo a success (two copies of a partition)', () => {
    const s = new StageStatus(1);
    const a = s.journal(false);
    const b = s.journal(false);
    a(end(0, 1, 100, 'succeeded'));
    b(end(0, 1, 150, 'failed'));
    expect(s.stateOf(0)).toBe('succeeded');
    expect(s.isSucceeded(0)).toBe(true);
  });

  it('reads an unfinished attempt as running while its writer lives, lost after', () => {
    const s = new StageStatus(2);
    const live = s.journal(true);
    const dead = s.journal(false);
    live(start(0, 1, Date.now() - 1000));
    dead(start(1, 1, 100));
    expect(s.task(0).state).toBe('running');
    expect(s.task(0).durationMs).toBeGreaterThanOrEqual(1000);
    expect(s.task(1)).toMatchObject({ state: 'lost', exitCode: null, durationMs: null });
    s.setLive(0, false);
    expect(s.stateOf(0)).toBe('lost');
  });

  it('tracks a sub-range of the stage by offset', () => {
    const s = new StageStatus(2, 10);
    const j = s.journal(false);
    j(end(9, 1, 1, 'succeeded'));
    j(end(11, 1, 1, 'succeeded'));
    j(end(12, 1, 1, 'succeeded'));
    expect(s.counts()).toMatchObject({ succeeded: 1, pending: 1 });
    expect(s.isSucceeded(1)).toBe(true);
  });

  it('keeps the signal and timeout of the deciding end record (what `tasks` shows)', () => {
    const s = new StageStatus(2);
    const j = s.journal(false);
    j({ ...end(0, 1, 100, 'failed', null), sig: 'SIGTERM', to: 1 } as JournalRecord);
    j({ ...end(1, 1, 100, 'failed', null), sig: 'SIGKILL' } as JournalRecord);
    j(end(1, 2, 200, 'failed', 3));
    expect(s.task(0)).toMatchObject({ state: 'failed', signal: 'SIGTERM', timedOut: true });
    expect(s.task(1)).toMatchObject({ state: 'failed', exitCode: 3, signal: null, timedOut: false });
  });
});
