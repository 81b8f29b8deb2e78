// The Slurm adapter's parsers against real recorded output (fixtures/slurm/, see its README).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrayChunks } from '../../src/runners/array-chunks.js';
import { slurmTime } from '../../src/runners/slurm-directives.js';
import { expandIndices, slurmScheduler } from '../../src/runners/slurm-scheduler.js';
import { warningGrace } from '../../src/runners/slurm.js';
import { parseJobId, resolveArgv } from '../../src/runners/submit-steps.js';
import { parseTimeLimit } from '../../src/spec/duration.js';
import { FIXTURES } from '../helpers.js';

const fixture = (name: string) => readFileSync(join(FIXTURES, 'slurm', name), 'utf8');
const byIndex = (stdout: string) =>
  Object.fromEntries(
    slurmScheduler
      .parseQuery(stdout)
      .map((j) => [j.arrayIndex, [j.state, j.schedulerState, j.exitCode, j.signal]]),
  );

describe('slurm scheduler adapter', () => {
  it('reads a running array with a pending, throttled remainder (one row for 2-5%2)', () => {
    expect(byIndex(fixture('scontrol-show-job-o-array-active.txt'))).toEqual({
      0: ['running', 'RUNNING', undefined, undefined],
      1: ['running', 'RUNNING', undefined, undefined],
      2: ['queued', 'PENDING', undefined, undefined],
      3: ['queued', 'PENDING', undefined, undefined],
      4: ['queued', 'PENDING', undefined, undefined],
      5: ['queued', 'PENDING', undefined, undefined],
    });
    expect(
      new Set(slurmScheduler.parseQuery(fixture('scontrol-show-job-o-array-active.txt')).map((j) => j.jobId)),
    ).toEqual(new Set(['348']));
  });

  it('reads final states with exit code and signal', () => {
    expect(byIndex(fixture('scontrol-show-job-o-array-final.txt'))).toEqual({
      0: ['completed', 'COMPLETED', 0, undefined],
      1: ['completed', 'COMPLETED', 0, undefined],
      2: ['failed', 'FAILED', 3, undefined],
      3: ['completed', 'COMPLETED', 0, undefined],
      4: ['failed', 'CANCELLED', 0, 15],
      5: ['completed', 'COMPLETED', 0, undefined],
    });
  });

  it('reads a dependant that Slurm cancelled, with its reason', () => {
    const [pending] = slurmScheduler.parseQuery(fixture('scontrol-show-job-o-dependant-pending.txt'));
    expect(pending).toMatchObject({ state: 'queued', reason: 'Dependency' });
    const [cancelled] = slurmScheduler.parseQuery(fixture('scontrol-show-job-o-dependant-cancelled.txt'));
    expect(cancelled).toMatchObject({
      jobId: '349',
      state: 'failed',
      schedulerState: 'CANCELLED',
      reason: 'DependencyNeverSatisfied',
    });
  });

  it('reads the multi-line format too (scontrol without -o)', () => {
    const [failed] = slurmScheduler.parseQuery(fixture('scontrol-show-job-failed-element.txt'));
    expect(failed).toMatchObject({
      jobId: '23',
      arrayIndex: 2,
      state: 'failed',
      exitCode: 3,
      reason: 'NonZeroExitCode',
    });
    const [timeout] = slurmScheduler.parseQuery(fixture('scontrol-show-job-timeout.txt'));
    expect(timeout).toMatchObject({
      jobId: '2',
      arrayIndex: 0,
      schedulerState: 'TIMEOUT',
      state: 'failed',
      signal: 15,
    });
  });

  it('parses sbatch --parsable and MaxArraySize', () => {
    expect(parseJobId(slurmScheduler, fixture('sbatch-parsable-array.txt'))).toBe('23');
    expect(parseJobId(slurmScheduler, '1234;cluster2\n')).toBe('1234');
    expect(() => parseJobId(slurmScheduler, fixture('sbatch-invalid-partition.stdout.txt'))).toThrow();
    expect(slurmScheduler.parseMaxArraySize!(fixture('scontrol-show-config-limits.txt'))).toBe(100001);
  });

  it('expands array index expressions', () => {
    expect(expandIndices('3')).toEqual([3]);
    expect(expandIndices('2-5%2')).toEqual([2, 3, 4, 5]);
    expect(expandIndices('1,3,5-6')).toEqual([1, 3, 5, 6]);
    expect(expandIndices('0-9:3')).toEqual([0, 3, 6, 9]);
  });

  it('builds sbatch argv: array range, offset, throttle and dependencies', () => {
    const sub = { stageIndex: 1, array: true, file: 'stage-1.sbatch', offset: 1001, size: 5 };
    // Steps 0 and 1 printed 7 and 8; this one depends on both.
    const argv = (s: typeof sub, after: number[], dir: string) =>
      resolveArgv(
        slurmScheduler.submit(s, { after: after.map((job) => ({ job, type: 'afterok' })), maxRunning: 2 })
          .argv,
        [['7'], ['8']],
        dir,
      );
    expect(argv(sub, [0, 1], '/p/scripts')).toEqual([
      'sbatch',
      '--parsable',
      '--array=0-4%2',
      '--export=ALL,BATCHPLAN_ARRAY_OFFSET=1001',
      '--dependency=afterok:7:8',
      '--kill-on-invalid-dep=yes',
      '/p/scripts/stage-1.sbatch',
    ]);
    expect(argv({ ...sub, array: false }, [], '/p')).toEqual(['sbatch', '--parsable', '/p/stage-1.sbatch']);
  });
});

describe('slurm limits and times', () => {
  it('splits partitions into arrays no larger than MaxArraySize, covering each once', () => {
    for (const [p, max] of [
      [1, 1001],
      [1001, 1001],
      [1002, 1001],
      [2500, 1000],
      [7, 3],
    ] as const) {
      const chunks = arrayChunks(p, max);
      expect(chunks.every((c) => c.size <= max && c.size > 0)).toBe(true);
      expect(chunks.map((c) => c.offset)).toEqual(chunks.map((_, k) => k * max));
      expect(chunks.reduce((n, c) => n + c.size, 0)).toBe(p);
    }
  });

  it('formats time limits as Slurm does, rounding up to minutes', () => {
    expect(slurmTime(59)).toBe('00:01:00');
    expect(slurmTime(7200)).toBe('02:00:00');
    expect(slurmTime(36 * 3600 + 1)).toBe('1-12:01:00');
  });

  it('reads a bare number as minutes, as sbatch does', () => {
    expect(parseTimeLimit('5')).toBe(300);
    expect(parseTimeLimit(90)).toBe(5400);
    expect(parseTimeLimit('2:00:00')).toBe(7200);
    expect(parseTimeLimit('45s')).toBe(45);
  });

  it('caps the wallclock warning at half the time limit', () => {
    expect(warningGrace(120, undefined)).toBe(120);
    expect(warningGrace(120, 3600)).toBe(120);
    expect(warningGrace(120, 60)).toBe(30);
    expect(warningGrace(120, 61)).toBe(60); // Slurm rounds the limit up to 2 minutes
  });
});

describe('a failed scontrol show job', () => {
  const failed = (name: string) => ({
    exitCode: Number(fixture(`${name}.exitcode.txt`)),
    stderr: fixture(`${name}.stderr.txt`),
  });
  it('means the job is gone only when slurmctld says it does not know it', () => {
    expect(slurmScheduler.unknownJob!(failed('scontrol-show-job-unknown'))).toBe(true);
    // A controller that does not answer says nothing of the job: it may still run.
    expect(slurmScheduler.unknownJob!(failed('scontrol-show-job-unreachable'))).toBe(false);
  });
});
