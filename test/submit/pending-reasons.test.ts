// Pending reasons that never clear, for Grid Engine and PBS, from their recorded outputs
// (fixtures/sge/, fixtures/pbs/; Slurm's are tested in stuck-slurm.test.ts): what each adapter
// reports as a queued partition's reason, and which of those stop `wait`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseQstat as parsePbs } from '../../src/runners/pbs-scheduler.js';
import { explainArgv, explainSge, parseQstat as parseSge } from '../../src/runners/sge-scheduler.js';
import type { PartitionJob } from '../../src/runners/scheduler.js';
import { neverClears, stuckPartitions, whatToDo } from '../../src/submit/pending-reasons.js';
import type { SubmissionState } from '../../src/submit/scheduler-state.js';
import { FIXTURES } from '../helpers.js';

const fixture = (dir: string, name: string) => readFileSync(join(FIXTURES, dir, name), 'utf8');
const sge = (jobId: string, explained: string) =>
  explainSge(
    fixture('sge', `qstat-j-qalter-w-v-${explained}.txt`),
    parseSge(fixture('sge', 'qstat-g-d-stuck.txt')).filter((j) => j.jobId === jobId),
  );
const reasons = (jobs: PartitionJob[]) => jobs.map((j) => [j.arrayIndex, j.state, j.reason]);
const stateOf = (jobs: PartitionJob[]): SubmissionState => ({
  submission: {} as never,
  partitions: jobs.map((j) => ({ ...j, stage: 0, partition: j.arrayIndex })),
  active: true,
  forgotten: [],
  unanswered: [],
});

describe('Grid Engine', () => {
  it('asks qstat -j and qalter -w v about one job, reading only', () => {
    expect(explainArgv('31')).toEqual(['sh', '-c', 'qstat -j "$1"; qalter -w v "$1"', 'sh', '31']);
  });

  it('a job no queue can ever take: no suitable queue, with the scheduling info', () => {
    const jobs = sge('31', 'pe-too-big');
    const reason = 'no suitable queue (cannot run in PE "smp" because it only offers 0 slots)';
    expect(reasons(jobs)).toEqual([1, 2, 3].map((t) => [t, 'queued', reason]));
    expect(neverClears(reason)).toMatch(/no queue of the cell can take the job even when it is empty/);
    expect(stuckPartitions(stateOf(jobs))).toHaveLength(3);
  });

  it("an error-state task (exit 100, or an output file it cannot open): Grid Engine's error, never clears", () => {
    const exit100 = sge('32', 'eqw-exit100');
    expect(reasons(exit100)).toEqual([[2, 'queued', 'error state: exit_status of job start = 100']]);
    const noStart = sge('33', 'eqw-no-start');
    expect(reasons(noStart)).toEqual([
      [
        1,
        'queued',
        'error state: error: can\'t open output file "/nonexistent/dir/x": No such file or directory',
      ],
    ]);
    for (const jobs of [exit100, noStart]) expect(stuckPartitions(stateOf(jobs))).toHaveLength(1);
    expect(whatToDo(exit100[0]!.reason, 'batchplan cancel p', '32')).toMatch(
      /qstat -j 32 .* qmod -cj 32, or cancel the jobs \(batchplan cancel p\)/,
    );
    // Without qstat -j's words (explain failed) the state letters alone still say it.
    const bare = parseSge(fixture('sge', 'qstat-g-d-stuck.txt')).find((j) => j.jobId === '32')!;
    expect(neverClears(bare.reason)).toBeDefined();
  });

  it('a throttled array waits with a reason that clears; its running task has none', () => {
    const jobs = sge('34', 'throttled');
    expect(jobs.find((j) => j.arrayIndex === 1)).toMatchObject({ state: 'running' });
    expect(jobs.find((j) => j.arrayIndex === 1)!.reason).toBeUndefined();
    const queued = jobs.filter((j) => j.state === 'queued');
    expect(queued).toHaveLength(11);
    for (const j of queued)
      expect(j.reason).toBe("not all array tasks may be started due to 'max_aj_instances'");
    expect(stuckPartitions(stateOf(jobs))).toEqual([]);
  });
});

describe('PBS', () => {
  it('PBS Pro (manual): an array that can never run gives its comment to its queued subjobs', () => {
    const jobs = parsePbs(fixture('pbs', 'manual-pro-qstat-f-t-never-runs.txt'));
    const reason = 'Can Never Run: Insufficient amount of resource: ncpus (R: 99 A: 8 T: 8)';
    expect(reasons(jobs)).toEqual([
      [0, 'queued', reason],
      [1, 'queued', reason],
    ]);
    expect(stuckPartitions(stateOf(jobs))).toHaveLength(2);
    expect(whatToDo(reason, 'batchplan cancel p', '1240[].pbs01')).toMatch(
      /^Cancel them \(batchplan cancel p\) .*pbsnodes -a/,
    );
  });

  it('PBS Pro (manual): "Not Running" clears; a hold after too many failed starts does not', () => {
    const jobs = parsePbs(fixture('pbs', 'manual-pro-qstat-f-waiting.txt'));
    expect(jobs.map((j) => [j.jobId, j.state, neverClears(j.reason) !== undefined])).toEqual([
      ['1241.pbs01', 'queued', false],
      ['1242.pbs01', 'queued', true],
    ]);
    // A begun array's comment is not a reason for its queued subjobs.
    const began = parsePbs(fixture('pbs', 'manual-pro-qstat-f-t-array.txt'));
    expect(began.find((j) => j.state === 'queued')!.reason).toBeUndefined();
  });

  it("Slurm's PBS wrapper: a job Slurm holds for ever (PartitionConfig) shows only Q, no reason", () => {
    const jobs = parsePbs(fixture('pbs', 'wrapper-qstat-f-never-runs.txt'));
    expect(jobs).toEqual([{ jobId: '396', arrayIndex: 0, state: 'queued', schedulerState: 'Q' }]);
    expect(stuckPartitions(stateOf(jobs))).toEqual([]);
  });
});
