import { describe, expect, it } from 'vitest';
import { BatchplanError } from '../../src/errors.js';
import { durationFlag, parseDuration } from '../../src/spec/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['1.5', 1.5],
    [' 42 ', 42],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1d', 86400],
    ['250ms', 0.25],
    ['1.5h', 5400],
    ['0.1s', 0.1],
    ['1h30m', 5400],
    ['1h 30m 15s', 5415],
    ['2d3h', 2 * 86400 + 3 * 3600],
    ['1m500ms', 60.5],
  ])('reads the unit form %j as %d seconds', (text, secs) => {
    expect(parseDuration(text)).toBeCloseTo(secs, 9);
  });

  it.each([
    ['05:00', 300],
    ['1:30', 90],
    ['2:00:00', 7200],
    ['0:00:01', 1],
    ['12:34:56', 12 * 3600 + 34 * 60 + 56],
    ['1-00:00:00', 86400],
    ['2-03:04:05', 2 * 86400 + 3 * 3600 + 4 * 60 + 5],
    // Slurm's days-hours:minutes: with a day part, two clock fields are hours and minutes.
    ['1-12:00', 86400 + 12 * 3600],
    ['0-01:30', 5400],
  ])('reads the clock form %j as %d seconds', (text, secs) => {
    expect(parseDuration(text)).toBe(secs);
  });

  it.each([
    [30, 30],
    [0.5, 0.5],
  ])('passes a positive number %d through', (n, secs) => {
    expect(parseDuration(n)).toBe(secs);
  });

  it.each([
    '',
    '   ',
    'abc',
    'm',
    '10x',
    '10 minutes',
    '1h30',
    '5m3',
    '-5',
    '-5s',
    '0',
    '0s',
    '0m0s',
    '00:00',
    '0:00:00',
    '0-00:00:00',
    '1:2:3:4',
    '1:234',
    '1e3',
    '1.5.5',
    'h1',
    '10m!',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([0, -1, Number.POSITIVE_INFINITY, Number.NaN])('rejects the number %d', (n) => {
    expect(parseDuration(n)).toBeUndefined();
  });
});

describe('durationFlag', () => {
  it('returns seconds for a good value', () => {
    expect(durationFlag('--grace', '1m30s')).toBe(90);
  });

  it('throws a usage error naming the flag and the value', () => {
    let err: unknown;
    try {
      durationFlag('--grace', 'soon');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BatchplanError);
    const e = err as BatchplanError;
    expect(e.code).toBe('E_USAGE');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('--grace');
    expect(e.message).toContain("'soon'");
    expect(e.hint).toMatch(/10m/);
  });
});
