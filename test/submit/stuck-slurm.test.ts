// A partition Slurm accepted but can never start (--cpus-per-task 99 on a node of 2 CPUs: reason
// PartitionConfig) shows its reason in status, and wait stops with E_JOBS_STUCK instead of waiting
// for ever; reasons that clear do not stop it. On the real local cluster.
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, cliAwait, scratch, slurmUp } from '../helpers.js';
import { neverClears, stuckPartitions } from '../../src/submit/pending-reasons.js';
import { parseScontrolJobs } from '../../src/runners/slurm-scheduler.js';

const dir = scratch('batchplan-stuck-');

describe('pending reasons', () => {
  it('knows the Slurm reasons that never clear, and not those that do', () => {
    for (const r of [
      'PartitionConfig',
      'ReqNodeNotAvail,_UnavailableNodes:vm',
      'BadConstraints',
      'QOSMaxCpuPerJobLimit',
    ])
      expect(neverClears(r), r).toBeDefined();
    for (const r of ['Resources', 'Priority', 'Dependency', 'QOSGrpCpuLimit', 'BeginTime', undefined])
      expect(neverClears(r), r).toBeUndefined();
    const jobs = parseScontrolJobs(
      'JobId=7 ArrayJobId=7 ArrayTaskId=0-2 JobState=PENDING Reason=ReqNodeNotAvail,_UnavailableNodes:vm ExitCode=0:0\n',
    );
    const state = {
      submission: {} as never,
      partitions: jobs.map((j) => ({ ...j, stage: 0, partition: j.arrayIndex })),
      active: true,
      forgotten: [],
      unanswered: [],
    };
    expect(stuckPartitions(state).map((p) => p.partition)).toEqual([0, 1, 2]);
  });
});

describe.runIf(slurmUp())('on Slurm', () => {
  const { makePlan, submit } = engineHarness('slurm', dir);

  it('status names PartitionConfig; wait stops with E_JOBS_STUCK and what to do; the jobs stay queued', async () => {
    const plan = makePlan(
      'stuck',
      'stages:\n  - {name: big, template: "true {{k}}", matrix: {k: {range: [0, 3]}}}\n',
    );
    const { jobIds } = submit(plan, 3, '--time', '5', '--cpus-per-task', '99');
    try {
      let status = '';
      // Slurm gives the reason at its next scheduling pass.
      for (let i = 0; i < 30 && !status.includes('PartitionConfig'); i++) {
        await new Promise((r) => setTimeout(r, 1000));
        status = cli(['status', plan]).stdout;
      }
      expect(status).toContain(
        '    3 partitions queued (PartitionConfig, which does not clear by waiting: the job asks for more than its partition can give (CPUs, memory, GPUs or nodes per job)): 0, 1, 2\n',
      );
      const json = JSON.parse(cli(['status', plan, '--json']).stdout);
      expect(json.stages[0].jobs.waiting).toEqual(
        [0, 1, 2].map((partition) => ({
          partition,
          jobId: jobIds[0],
          state: 'PENDING',
          reason: 'PartitionConfig',
          stuck: true,
        })),
      );

      const t0 = Date.now();
      const r = await cliAwait(['wait', plan, '--interval', '1']);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.code, r.stderr).toBe(23);
      expect(r.stderr).toContain(
        `batchplan: error [E_JOBS_STUCK]: 3 partitions of stage big (job ${jobIds[0]}) are PENDING with reason PartitionConfig: the job asks for more than its partition can give`,
      );
      expect(r.stderr).toMatch(
        /Cancel them \(batchplan cancel .*\) and submit again asking for what the partition has/,
      );
      expect(r.stdout).toContain('3 partitions queued (PartitionConfig');
      // wait stopped, the jobs did not; --wait-when-stuck waits on (bounded here by --timeout).
      expect(JSON.parse(cli(['status', plan, '--json']).stdout).stages[0].queued).toBe(3);
      const keep = await cliAwait(['wait', plan, '--interval', '1', '--timeout', '2', '--wait-when-stuck']);
      expect(keep.code).toBe(124);
    } finally {
      cli(['cancel', plan]);
    }
  }, 120_000);

  it('submit --wait stops the same way; --wait-when-stuck (with --timeout) waits on', async () => {
    const plan = makePlan('stuck-submit', 'stages:\n  - {name: big, tasks: [{cmd: "true"}]}\n');
    const flags = ['--runner', 'slurm', '--time', '5', '--cpus-per-task', '99', '--wait', '--interval', '1'];
    try {
      const t0 = Date.now();
      const r = await cliAwait(['submit', plan, '1', ...flags]);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.code, r.stderr).toBe(23);
      expect(r.stderr).toMatch(
        /E_JOBS_STUCK\]: partition 0 of stage big \(job \d+\) is PENDING with reason PartitionConfig/,
      );
      cli(['cancel', plan]);
      const keep = await cliAwait(['submit', plan, '1', ...flags, '--wait-when-stuck', '--timeout', '3']);
      expect(keep.code, keep.stderr).toBe(124);
      expect(keep.stderr).toContain('giving up waiting (the jobs go on)');
      expect(JSON.parse(cli(['status', plan, '--json']).stdout).stages[0].queued).toBe(1);
    } finally {
      cli(['cancel', plan]);
    }
    // Both flags belong to --wait: without it, a usage error and nothing submitted.
    const bad = cli(['submit', plan, '1', '--runner', 'slurm', '--wait-when-stuck']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--wait-when-stuck goes with --wait');
    expect(cli(['submit', plan, '1', '--runner', 'slurm', '--timeout', '1m']).stderr).toContain(
      '--timeout goes with --wait',
    );
  }, 120_000);
});
