// End to end on the local single-node Slurm cluster (scripts/slurm/up.sh starts it). Each test asserts
// on the plan's status and on Slurm's own view of the jobs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { edge, engineHarness, lines, type EngineStage as Stage } from '../engine-harness.js';
import { cli, cliAsync, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-slurm-');

const available = slurmUp();

const { makePlan, tasks, status, submit, waitFor, runDriver } = engineHarness('slurm', dir);

/** Slurm's own word on a job's array elements: state per element. */
function slurmStates(jobId: string): string[] {
  const r = spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]!);
}

// 25 tasks per partition at N = 8: about 4 s, so that stage 2 is still queued when a test looks.
const TWO_STAGES = (extra = '') => `
stages:
  - name: extract
    template: "sleep 0.15; echo extract {{k}}${extra}"
    matrix: {k: {range: [0, 200]}}
  - name: merge
    after: [extract]
    template: "echo merge {{k}}"
    matrix: {k: {range: [0, 40]}}
`;

describe.runIf(available)('slurm', () => {
  beforeAll(() => {
    expect(spawnSync('scontrol', ['show', 'config'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('1. runs a two-stage plan as two arrays; stage 2 starts after stage 1 ends', async () => {
    const plan = makePlan('two', TWO_STAGES());
    const sub = submit(plan, 8, '--time', '5');
    expect(sub.jobIds).toHaveLength(2);
    // Stage 2 waits in Slurm's queue on its dependency: queued, not pending work nobody is doing.
    const early = status(plan).stages[1]!;
    expect(early).toMatchObject({ queued: 40, pending: 0 });
    expect(early.jobs!.queued).toBe(8);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st.overall.done).toBe(true);
    expect(st.stages.map((s: Stage) => [s.name, s.succeeded, s.jobs?.completed])).toEqual([
      ['extract', 200, 8],
      ['merge', 40, 8],
    ]);
    for (const id of sub.jobIds) expect(new Set(slurmStates(id))).toEqual(new Set(['COMPLETED']));
    const all = tasks(plan);
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
    // Scheduler output: one file per partition, never one per task.
    expect(readdirSync(join(plan, 'jobs')).filter((f) => f.endsWith('.out'))).toHaveLength(16);
  });

  it('2. a failed task fails stage 1, Slurm cancels stage 2, and a resubmission runs only what is left', async () => {
    const marker = join(dir, 'fixed-2');
    const plan = makePlan('fail', TWO_STAGES(`; [ {{k}} -ne 17 ] || [ -e '${marker}' ]`));
    const first = submit(plan, 8);
    const r = await waitFor(plan);
    expect(r.code).toBe(1);
    const [extract, merge] = JSON.parse(r.stdout).stages as Stage[];
    expect(extract).toMatchObject({ succeeded: 199, failed: 1 });
    expect(merge).toMatchObject({ succeeded: 0, pending: 40 });
    expect(
      merge!.jobs!.problems.every((p) => p.state === 'CANCELLED' && p.reason === 'DependencyNeverSatisfied'),
    ).toBe(true);
    expect(new Set(slurmStates(first.jobIds[1]!))).toEqual(new Set(['CANCELLED']));
    const failed = tasks(plan, '--state', 'failed');
    expect(failed.map((t) => t.id)).toEqual(['extract.17']);
    expect(cli(['tasks', plan, '--state', 'failed']).stdout).toMatch(/extract\.17 +extract +failed +1 /);

    writeFileSync(marker, '');
    submit(plan, 8);
    expect((await waitFor(plan)).code).toBe(0);
    const after = tasks(plan);
    expect(after.find((t) => t.id === 'extract.17')!.attempts).toBe(2);
    expect(after.filter((t) => t.stage === 'extract' && t.attempts !== 1).map((t) => t.id)).toEqual([
      'extract.17',
    ]);
  });

  it('3. the wallclock warning interrupts a partition cleanly; a resubmission completes it', async () => {
    const marker = join(dir, 'quick-3');
    const plan = makePlan(
      'wallclock',
      `stages: [{name: long, template: "if [ -e '${marker}' ]; then echo done; else sleep 300; fi", matrix: {k: {range: [0, 4]}}}]\n`,
    );
    // Slurm sends the warning at its first 30-second check once less than grace + 30 s remain: with
    // 2 minutes and 60 s of grace, 30 to 60 s in. A shorter limit can have it sent while the job is
    // still starting, where it may be lost (then Slurm's TIMEOUT ends the job instead).
    submit(plan, 1, '--time', '2', '--signal-grace', '60s', '--nprocs', '4');
    const r = await waitFor(plan);
    expect(r.code).toBe(1);
    const [stage] = JSON.parse(r.stdout).stages as Stage[];
    expect(stage).toMatchObject({ interrupted: 4, lost: 0, succeeded: 0, running: 0 });
    // run-partition exited 138 (SIGUSR1) before the limit: Slurm says FAILED, not TIMEOUT.
    expect(stage!.jobs!.problems[0]).toMatchObject({ state: 'FAILED', exitCode: 138 });

    writeFileSync(marker, '');
    submit(plan, 1, '--time', '1');
    expect((await waitFor(plan)).code).toBe(0);
    expect(tasks(plan).map((t) => t.attempts)).toEqual([2, 2, 2, 2]);
  }, 240_000);

  it('4. cancel mid-run, then resubmit: everything succeeds and nothing that succeeded runs twice', async () => {
    const runs = join(dir, 'runs-4');
    const plan = makePlan(
      'cancel',
      `stages: [{name: s, template: "sleep 0.5; echo {{k}} >> '${runs}'", matrix: {k: {range: [0, 40]}}}]\n`,
    );
    submit(plan, 2, '--nprocs', '2');
    const deadline = Date.now() + 60_000;
    while (lines(runs).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const c = cli(['cancel', plan, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).cancelled.length).toBe(1);
    expect((await waitFor(plan)).code).toBe(1);
    const mid = status(plan).stages[0]!;
    expect(mid.running).toBe(0);
    expect(mid.interrupted).toBeGreaterThan(0);
    expect(mid.succeeded).toBeGreaterThan(0);
    const doneBefore = tasks(plan, '--state', 'succeeded').map((t) => t.id);

    submit(plan, 2, '--nprocs', '2');
    expect((await waitFor(plan)).code).toBe(0);
    const counts = new Map<string, number>();
    for (const k of lines(runs)) counts.set(`s.${k}`, (counts.get(`s.${k}`) ?? 0) + 1);
    for (const id of doneBefore) expect(counts.get(id), id).toBe(1);
    expect(status(plan).stages[0]!.succeeded).toBe(40);
  }, 180_000);

  it('5. splits a stage into several arrays past --max-array-size; dependants wait for all of them', async () => {
    const plan = makePlan('split', TWO_STAGES());
    const dry = cli(['submit', plan, '10', '--runner', 'slurm', '--max-array-size', '4', '--dry-run']);
    expect(dry.stdout).toMatch(
      /--array=0-1 --export=ALL,BATCHPLAN_ARRAY_OFFSET=8 '--dependency=afterok:<job of extract>:<job of extract>:<job of extract>'/,
    );
    const sub = submit(plan, 10, '--max-array-size', '4');
    expect(sub.jobIds).toHaveLength(6); // 10 partitions = 4 + 4 + 2, twice
    expect((await waitFor(plan)).code).toBe(0);
    const all = tasks(plan);
    expect(all.every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
  });

  it('6. --layout allocation runs every stage inside one job', async () => {
    const plan = makePlan('alloc', TWO_STAGES());
    const sub = submit(plan, 4, '--layout', 'allocation', '--max-running', '4', '--time', '5');
    expect(sub.jobIds).toHaveLength(1);
    const r = await waitFor(plan);
    expect(r.code, r.stdout).toBe(0);
    expect(new Set(slurmStates(sub.jobIds[0]!))).toEqual(new Set(['COMPLETED']));
    const all = tasks(plan);
    expect(all.every((t) => t.state === 'succeeded')).toBe(true);
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
  });

  it('the rendered submit.sh submits, records the jobs, and batchplan wait follows them', async () => {
    const plan = makePlan('driver', TWO_STAGES());
    const { files, record } = runDriver(plan, 3, join(dir, 'driver-scripts'), '--time', '5');
    expect(files).toEqual(['stage-0.sbatch', 'stage-1.sbatch', 'submit.sh']);
    expect(record).toMatchObject({
      runner: 'slurm',
      n: 3,
      arrays: [
        { stage: 0, offset: 0, size: 3 },
        { stage: 1, offset: 0, size: 3 },
      ],
    });
    expect((await waitFor(plan)).code).toBe(0);
    for (const id of record.jobIds) expect(new Set(slurmStates(id))).toEqual(new Set(['COMPLETED']));
  });

  it('a partition whose job is killed outright shows its running tasks as lost, with Slurm’s final state', async () => {
    const started = join(dir, 'started-kill');
    const plan = makePlan(
      'killed',
      `stages: [{name: s, template: "echo {{k}} >> '${started}'; sleep 300", matrix: {k: {range: [0, 3]}}}]\n`,
    );
    submit(plan, 1, '--nprocs', '3');
    const deadline = Date.now() + 60_000;
    while (lines(started).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // SIGKILL to run-partition, as the OOM killer would: it writes nothing more. (scancel, even with
    // --signal=KILL, sends SIGTERM first, and run-partition then records the tasks as interrupted.)
    const stageDir = join(plan, 'status', 'stage-0');
    const journal = readdirSync(stageDir).find((f) => f.endsWith('.jsonl'))!;
    const { pid } = JSON.parse(readFileSync(join(stageDir, journal), 'utf8').split('\n')[0]!);
    process.kill(pid, 'SIGKILL');
    await waitFor(plan);
    const [stage] = status(plan).stages;
    expect(stage).toMatchObject({ lost: 3, running: 0, interrupted: 0, succeeded: 0 });
    expect(stage!.jobs!.problems).toHaveLength(1);
    expect(stage!.jobs!.problems[0]).toMatchObject({ state: 'FAILED', exitCode: 137 });
    expect(cli(['status', plan]).stdout).toMatch(
      /partition 0 \(job \d+\): FAILED \(NonZeroExitCode\), exit 137/,
    );
  });

  it('7. a rejected submission reports Slurm’s message and records nothing', () => {
    const plan = makePlan('rejected', TWO_STAGES());
    const r = cli(['submit', plan, '4', '--runner', 'slurm', '--partition', 'no-such-partition']);
    expect(r.code).toBe(15);
    expect(r.stderr).toMatch(/E_SUBMIT_FAILED/);
    expect(r.stderr).toMatch(/invalid partition/i);
    expect(r.stderr).toMatch(/Nothing was recorded/);
    expect(existsSync(join(plan, 'submissions')) ? readdirSync(join(plan, 'submissions')) : []).toEqual([]);
  });

  it('refuses a second submission while the first holds every partition left, naming its job', async () => {
    const plan = makePlan(
      'twice',
      `stages: [{name: s, template: "sleep 3", matrix: {k: {range: [0, 2]}}}]\n`,
    );
    const [first] = submit(plan, 1).jobIds as [string];
    const again = cli(['submit', plan, '1', '--runner', 'slurm']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`queued or running already: job ${first} (stage s, partition 0)`);
    const waited = cliAsync(['wait', plan, '--interval', '1']);
    expect((await waited.done).code).toBe(0);
  });
});
