// The Grid Engine adapter's argv builders and parsers against real recorded output (fixtures/sge/, see
// its README).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunner } from '../../src/runners/registry.js';
import type { RenderContext } from '../../src/runners/runner.js';
import { memPerSlot, resourceOptions, sgeScheduler, sgeTime } from '../../src/runners/sge-scheduler.js';
import { sgeSubmissions } from '../../src/runners/sge.js';
import { cancelArgv, parseJobId } from '../../src/runners/submit-steps.js';
import { submissionArgv } from '../../src/submit/submit.js';
import { FIXTURES } from '../helpers.js';

const SGE = await loadRunner('sge');

const fixture = (name: string) => readFileSync(join(FIXTURES, 'sge', name), 'utf8');
const byTask = (stdout: string, jobId: string) =>
  Object.fromEntries(
    sgeScheduler
      .parseQuery(stdout)
      .filter((j) => j.jobId === jobId)
      .map((j) => [j.arrayIndex, [j.state, j.schedulerState]]),
  );

describe('sge scheduler adapter', () => {
  it('reads job ids from qsub -terse, for arrays and plain jobs', () => {
    expect(parseJobId(sgeScheduler, fixture('qsub-terse-array.txt'))).toBe('14');
    expect(parseJobId(sgeScheduler, fixture('qsub-terse-single.txt'))).toBe('15');
    expect(() => parseJobId(sgeScheduler, fixture('qsub-unknown-queue.stdout.txt'))).toThrow(/not a job id/);
  });

  it('reads running, throttled, held and error-state tasks from qstat -u * -g d', () => {
    const out = fixture('qstat-g-d-mixed.txt');
    expect(byTask(out, '14')).toEqual({
      1: ['running', 'r'],
      2: ['running', 'r'],
      3: ['running', 'r'],
      ...Object.fromEntries([4, 5, 6, 7, 8, 9, 10].map((t) => [t, ['queued', 'qw']])),
    });
    expect(byTask(out, '15')).toEqual({ 1: ['queued', 'hqw'] });
    expect(byTask(out, '16')).toEqual({ 1: ['queued', 'hqw'], 2: ['queued', 'hqw'], 3: ['queued', 'hqw'] });
    // Task 17.1 finished and is not listed; 17.2 exited 100 and waits in error state (queued: it
    // never runs without qmod -cj; its reason says so, test/submit/pending-reasons.test.ts).
    expect(byTask(out, '17')).toEqual({ 2: ['queued', 'Eqw'] });
    expect(sgeScheduler.parseQuery(out).find((j) => j.jobId === '17')!.reason).toMatch(/error state/);
  });

  it('counts tasks being deleted as still running, and reads an empty listing', () => {
    expect(byTask(fixture('qstat-g-d-deleting.txt'), '14')).toEqual({
      1: ['running', 'dr'],
      2: ['running', 'dr'],
      3: ['running', 'dr'],
    });
    expect(sgeScheduler.parseQuery(fixture('qstat-g-d-empty.txt'))).toEqual([]);
  });

  it('the stage script walks jid_successor_list as qstat -j prints it', () => {
    expect(/^jid_successor_list: *(.*)$/m.exec(fixture('qstat-j-array-successors.txt'))![1]).toBe('15,16');
  });

  it('reads max_aj_tasks from qconf -sconf (0 means no limit)', () => {
    expect(sgeScheduler.parseMaxArraySize!(fixture('qconf-sconf.txt'))).toBe(75000);
    expect(sgeScheduler.parseMaxArraySize!('max_aj_tasks                 0\n')).toBeUndefined();
  });

  it('builds qsub argv: one-based -t, -tc, the offset through -v, -hold_jid, resources as argv words', () => {
    const runner = SGE;
    const ctx: RenderContext = {
      planDir: '/p',
      n: 5,
      batchplanCommand: 'batchplan',
      batchplanVersion: '0',
      options: { maxArraySize: 2, maxRunning: 3, pe: 'mpi' },
      stages: [
        {
          name: 'a',
          index: 0,
          tasks: 5,
          partitions: 5,
          after: [],
          resources: { time: 5400, cpusPerTask: 4, mem: '8G', account: "lab's", partition: 'all.q' },
        },
        {
          name: 'b',
          index: 1,
          tasks: 1,
          partitions: 1,
          after: ['a'],
          resources: { runners: { sge: { args: ['-l', 'gpu=1'] } } },
        },
      ],
    };
    const subs = sgeSubmissions(ctx);
    expect(subs.map((s) => [s.stageIndex, s.offset, s.size])).toEqual([
      [0, 0, 2],
      [0, 2, 2],
      [0, 4, 1],
      [1, 0, 1],
    ]);
    const argv = submissionArgv(runner, ctx, subs, '/d', ['11', '12', '13']);
    expect(argv[1]).toEqual([
      'qsub',
      '-terse',
      '-t',
      '1-2',
      '-tc',
      '3',
      '-v',
      'BATCHPLAN_ARRAY_OFFSET=2',
      '-P',
      "lab's",
      '-l',
      'h_rt=1:30:00,h_vmem=2048M',
      '-pe',
      'mpi',
      '4',
      '-q',
      'all.q',
      '/d/stage-0.sge',
    ]);
    expect(argv[3]).toEqual([
      'qsub',
      '-terse',
      '-t',
      '1-1',
      '-tc',
      '3',
      '-v',
      'BATCHPLAN_ARRAY_OFFSET=0',
      '-hold_jid',
      '11,12,13',
      '-l',
      'gpu=1',
      '/d/stage-1.sge',
    ]);
    // Deleting a job releases the jobs holding on it: dependants go first.
    expect(cancelArgv(sgeScheduler, ['11', '12'])).toEqual(['qdel', '12', '11']);
    expect(sgeScheduler.queryArgv('11')).toEqual(['qstat', '-u', '*', '-g', 'd']);
  });

  it('formats h_rt and per-slot h_vmem, and refuses resources Grid Engine has no option for', () => {
    expect(sgeTime(59)).toBe('0:00:59');
    expect(sgeTime(36 * 3600 + 61)).toBe('36:01:01');
    expect(memPerSlot('4G', 1)).toBe('4G');
    expect(memPerSlot('1GB', 3)).toBe('342M');
    expect(resourceOptions({ cpusPerTask: 2 }, undefined)).toEqual(['-pe', 'smp', '2']);
    expect(resourceOptions({ cpusPerTask: 1 }, 'smp')).toEqual([]);
    const ctx = (resources: object): RenderContext => ({
      planDir: '/p',
      n: 1,
      batchplanCommand: 'batchplan',
      batchplanVersion: '0',
      options: {},
      stages: [{ name: 'a', index: 0, tasks: 1, partitions: 1, after: [], resources }],
    });
    expect(() => SGE.render(ctx({ gpus: 1 }))).toThrow(/--gpus .*no Grid Engine counterpart/);
    expect(() => SGE.render(ctx({ qos: 'high' }))).toThrow(/--qos/);
  });

  it('declares one-based SGE_TASK_ID and max_aj_tasks', () => {
    expect(SGE.capabilities).toMatchObject({
      indexVariables: [{ name: 'SGE_TASK_ID', oneBased: true, scheduler: 'Grid Engine' }],
      oneBased: true,
      maxArraySize: 75000,
      canSubmit: true,
      runsLocally: false,
    });
  });
});
