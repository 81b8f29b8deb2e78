// batchplan add while the plan's jobs run on the local Slurm cluster: the running partitions finish
// as if nothing happened (each task once, one attempt), and `submit` meanwhile submits only what no
// queued or running job holds (the added stages), the stages after a live one depending on its job;
// wait and cancel cover the live jobs and the new ones. With nothing left but what runs, submit
// refuses, naming the jobs, and writes nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edge, engineHarness } from '../engine-harness.js';
import { cli, cliAwait, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-qdo-add-live-');
const available = slurmUp();
const { makePlan, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

const EXTRACT = (sleep: number) =>
  `stages:\n  - name: extract\n    nprocs: 2\n    template: 'sleep ${sleep}; echo extract {{k}}'\n    matrix: {k: {range: [0, 4]}}\n`;

/** scontrol's one-line record of a job (its first line: an array's first element). */
const job = (id: string) =>
  spawnSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
const field = (line: string, name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1];

async function untilRunning(plan: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!status(plan).stages[0]!.running) {
    expect(Date.now(), 'an extract task starts').toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const records = (plan: string) => readdirSync(join(plan, 'submissions')).sort();
const scriptDirs = (plan: string) => readdirSync(join(plan, 'scripts')).length;

describe.runIf(available)('slurm: add while the jobs run', () => {
  it('submit submits only the added stages, the one after extract waiting for its live job; wait covers both', async () => {
    const plan = makePlan('live', EXTRACT(12));
    const first = submit(plan, 2);
    expect(first.jobIds).toHaveLength(1);
    const [extractJob] = first.jobIds as [string];
    await untilRunning(plan);
    // merge follows the running stage; quick follows nothing, so it ends long before extract does.
    writeFileSync(
      join(dir, 'more.yaml'),
      "stages:\n  - name: merge\n    after: [extract]\n    template: 'echo merge {{g}}'\n    matrix: {g: {range: [0, 2]}}\n  - name: quick\n    template: 'echo quick {{k}}'\n    matrix: {k: {range: [0, 1]}}\n",
    );
    const added = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(added.code, added.stderr).toBe(0);

    const again = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string }[];
      skipped: string[];
      live: { jobId: string; stage: string; partitions: number[] }[];
    };
    // Nothing of extract again: its one array is still running.
    expect(job(extractJob)).toMatch(/JobState=(RUNNING|PENDING)/);
    expect(again.stages.map((s) => s.name)).toEqual(['merge', 'quick']);
    expect(again.live).toEqual([{ jobId: extractJob, stage: 'extract', partitions: [0, 1] }]);
    expect(again.jobIds).toHaveLength(2);
    expect(again.jobIds).not.toContain(extractJob);
    const [mergeJob, quickJob] = again.jobIds as [string, string];
    // Slurm's own view: merge waits for the live array (afterok on an array: every element).
    expect(field(job(mergeJob), 'Dependency')).toMatch(new RegExp(`^afterok:${extractJob}(_\\*)?\\(`));
    expect(field(job(quickJob), 'Dependency')).toBe('(null)');
    // The one record names the live job (its partitions) beside the new ones.
    const record = JSON.parse(readFileSync(join(plan, 'submissions', records(plan).at(-1)!), 'utf8'));
    expect(record.version).toBe(2);
    expect(record.jobIds).toEqual([extractJob, mergeJob, quickJob]);
    expect(record.arrays[0]).toEqual({ stage: 0, offset: 0, size: 2, only: [0, 1] });

    // wait waits for the live extract array too, not only for the jobs submitted last.
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    expect(status(plan).stages.map((s) => [s.name, s.succeeded])).toEqual([
      ['extract', 4],
      ['merge', 2],
      ['quick', 1],
    ]);
    const all = tasks(plan);
    expect(all.map((t) => t.attempts)).toEqual(all.map(() => 1));
    // merge began only once the first array had ended.
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
    expect(edge(all, 'quick', 'endedAt', Math.max)).toBeLessThan(edge(all, 'extract', 'endedAt', Math.max));
  }, 300_000);

  it('a stage needing extract task by task waits for the live elements it needs, and cancel cancels both', async () => {
    const plan = makePlan('live-cancel', EXTRACT(120));
    const [extractJob] = submit(plan, 2).jobIds as [string];
    await untilRunning(plan);
    writeFileSync(
      join(dir, 'more-requires.yaml'),
      "stages:\n  - name: pick\n    template: 'echo pick {{g}}'\n    matrix: {g: {range: [0, 4]}}\n    requires: ['extract.{{g}}']\n",
    );
    expect(cli(['add', plan, join(dir, 'more-requires.yaml')]).code).toBe(0);
    const again = submit(plan, 2);
    expect(again.jobIds).toHaveLength(1);
    const [pickJob] = again.jobIds as [string];
    // Element e of pick (tasks 2e, 2e+1) waits for element e of the live extract array only.
    for (const e of [0, 1]) {
      const line = spawnSync('scontrol', ['show', 'job', '-o', `${pickJob}_${e}`], {
        encoding: 'utf8',
      }).stdout;
      expect(field(line, 'Dependency')).toMatch(new RegExp(`^afterany:${extractJob}_${e}\\(`));
    }
    const c = cli(['cancel', plan, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect((JSON.parse(c.stdout) as { cancelled: string[] }).cancelled.sort()).toEqual(
      [extractJob, pickJob].sort(),
    );
    for (const id of [extractJob, pickJob]) {
      const deadline = Date.now() + 60_000;
      while (/JobState=(RUNNING|PENDING|COMPLETING)/.test(job(id))) {
        expect(Date.now(), `job ${id} ends`).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(job(id)).toMatch(/JobState=CANCELLED/);
    }
  }, 300_000);

  it('with every partition left queued or running, submit names the jobs, suggests wait and writes nothing; then an added stage goes alone and wait and status cover both', async () => {
    const plan = makePlan('live-all', EXTRACT(10));
    const [extractJob] = submit(plan, 2).jobIds as [string];
    const before = [records(plan), scriptDirs(plan)];
    const refused = cli(['submit', plan, '2', '--runner', 'slurm']);
    // --force is refused too: it would have run the live partitions a second time.
    const forced = cli(['submit', plan, '2', '--runner', 'slurm', '--force']);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/--force is no more/);
    writeFileSync(
      join(dir, 'quick.yaml'),
      "stages:\n  - name: quick\n    template: 'echo quick {{k}}'\n    matrix: {k: {range: [0, 1]}}\n",
    );
    expect(cli(['add', plan, join(dir, 'quick.yaml')]).code).toBe(0);
    const again = submit(plan, 2) as ReturnType<typeof submit> & { stages: { name: string }[] };
    const extractLive = /JobState=(RUNNING|PENDING)/.test(job(extractJob));
    const seen = status(plan).stages[0]!.jobs;
    expect(extractLive, 'extract still runs after the second submit (raise its sleep)').toBe(true);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `queued or running already: job ${extractJob} (stage extract, partitions 0-1)`,
    );
    expect(refused.stderr).toContain(`batchplan wait ${plan}`);
    expect(before).toEqual([[records(plan)[0]], 1]);
    expect(again.stages.map((s) => s.name)).toEqual(['quick']);
    // status of the latest record sees the live extract job, not only quick's.
    expect((seen?.running ?? 0) + (seen?.queued ?? 0)).toBeGreaterThan(0);
    // wait returns only once extract's live array has ended too, though quick ends at once.
    const w = await cliAwait(['wait', plan, '--interval', '1'], { cwd: dir });
    expect(w.code, w.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([4, 1]);
    expect(tasks(plan).map((t) => t.attempts)).toEqual([1, 1, 1, 1, 1]);
  }, 300_000);

  it('a live array some of whose elements failed: the added stage waits for its live elements by name, and for the partition submitted again', async () => {
    const marker = join(dir, 'fixed');
    const plan = makePlan(
      'live-failed',
      `stages:\n  - name: extract\n    nprocs: 2\n    template: 'if [ {{k}} -lt 2 ]; then test -e ${marker}; else sleep 15; fi'\n    matrix: {k: {range: [0, 4]}}\n`,
    );
    const [extractJob] = submit(plan, 2).jobIds as [string];
    // Element 0 (tasks 0 and 1) fails at once; element 1 sleeps on.
    const deadline = Date.now() + 120_000;
    while (status(plan).stages[0]!.failed < 2) {
      expect(Date.now(), 'extract 0 and 1 fail').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    writeFileSync(marker, '');
    writeFileSync(
      join(dir, 'more-after.yaml'),
      "stages:\n  - name: merge\n    after: [extract]\n    template: 'echo merge {{g}}'\n    matrix: {g: {range: [0, 2]}}\n",
    );
    expect(cli(['add', plan, join(dir, 'more-after.yaml')]).code).toBe(0);
    const again = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string; submitted: number }[];
    };
    expect(again.stages.map((s) => [s.name, s.submitted])).toEqual([
      ['extract', 1],
      ['merge', 2],
    ]);
    const [extractAgain, mergeJob] = again.jobIds as [string, string];
    // afterok on the whole live array could never be met (element 0 failed): its element 1 by name.
    const dependency = field(job(mergeJob), 'Dependency') ?? '';
    expect(dependency).toContain(`afterok:${extractJob}_1(`);
    expect(dependency).toMatch(new RegExp(`afterok:${extractAgain}(_\\*)?\\(`));
    expect(dependency).not.toMatch(new RegExp(`${extractJob}(_\\*)?\\(`));
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([4, 2]);
    // Tasks 2 and 3 ran once, in the live element; 0 and 1 twice (failed, then fixed).
    expect(tasks(plan, '--stage', 'extract').map((t) => t.attempts)).toEqual([2, 2, 1, 1]);
  }, 300_000);
});
