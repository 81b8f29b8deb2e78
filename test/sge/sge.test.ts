// End to end on the local single-node Grid Engine cell (scripts/sge/up.sh starts it). Each test asserts
// on the plan's status and on Grid Engine's own view of the jobs (qstat -u '*': USER may be unset).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edge, engineHarness, lines, type EngineStage as Stage } from '../engine-harness.js';
import { cli, cliAsync, scratch } from '../helpers.js';
import { cellUp } from './cell.js';

const dir = scratch('batchplan-sge-');

const available = cellUp();

const { makePlan, tasks, status, submit, waitFor, runDriver } = engineHarness('sge', dir);

/** The jobs Grid Engine still lists (queued, running, in error or being deleted), with their states. */
function jobStates(): Map<string, string> {
  const r = spawnSync('qstat', ['-u', '*'], { encoding: 'utf8' });
  return new Map([...r.stdout.matchAll(/^\s*(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
}
const listed = () => new Set(jobStates().keys());

const TWO_STAGES = (extra = '') => `
stages:
  - name: extract
    template: "sleep 0.05; echo extract {{k}}${extra}"
    matrix: {k: {range: [0, 60]}}
  - name: merge
    after: [extract]
    template: "echo merge {{k}}"
    matrix: {k: {range: [0, 12]}}
`;

describe.runIf(available)('sge', () => {
  it('1. runs a two-stage plan as two arrays; stage 2 starts after stage 1 ends', async () => {
    const plan = makePlan('two', TWO_STAGES() + '    env: {SLOTS: "$NSLOTS"}\n');
    const sub = submit(plan, 3, '--time', '5', '--cpus-per-task', '2', '--pe', 'smp');
    expect(sub.jobIds).toHaveLength(2);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st.overall.done).toBe(true);
    expect(st.stages.map((s: Stage) => [s.name, s.succeeded])).toEqual([
      ['extract', 60],
      ['merge', 12],
    ]);
    for (const id of sub.jobIds) expect(listed().has(id)).toBe(false);
    const all = tasks(plan);
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
    // Scheduler output: one file per partition (array task), never one per task.
    const outs = readdirSync(join(plan, 'jobs')).filter((f) => f.endsWith('.out'));
    expect(outs.sort()).toEqual(
      [0, 1].flatMap((k) => [1, 2, 3].map((t) => `stage-${k}-${sub.jobIds[k]}.${t}.out`)).sort(),
    );
    // -pe smp 2: run-partition ran 2 tasks at once (NSLOTS); the log says so.
    expect(readFileSync(join(plan, 'jobs', outs[0]!), 'utf8')).toMatch(/partition \d\/3/);
  });

  it('2. a failed task fails stage 1, its partition deletes stage 2, and a resubmission runs only what is left', async () => {
    const marker = join(dir, 'fixed-2');
    const plan = makePlan('fail', TWO_STAGES(`; [ {{k}} -ne 17 ] || [ -e '${marker}' ]`));
    const first = submit(plan, 3);
    const r = await waitFor(plan);
    expect(r.code).toBe(1);
    const [extract, merge] = JSON.parse(r.stdout).stages as Stage[];
    expect(extract).toMatchObject({ succeeded: 59, failed: 1 });
    expect(merge).toMatchObject({ succeeded: 0, pending: 12, running: 0 });
    expect(listed().has(first.jobIds[1]!)).toBe(false);
    const jobsDir = join(plan, 'jobs');
    const said = readdirSync(jobsDir)
      .filter((f) => f.startsWith(`stage-0-${first.jobIds[0]}.`))
      .map((f) => readFileSync(join(jobsDir, f), 'utf8'))
      .join('');
    expect(said).toMatch(new RegExp(`deleting the jobs of the stages after it: ${first.jobIds[1]}`));
    // merge never ran: no output of its job.
    expect(readdirSync(jobsDir).some((f) => f.startsWith(`stage-1-${first.jobIds[1]}.`))).toBe(false);
    expect(tasks(plan, '--state', 'failed').map((t) => t.id)).toEqual(['extract.17']);
    expect(cli(['tasks', plan, '--state', 'failed']).stdout).toMatch(/extract\.17 +extract +failed +1 /);
    expect(cli(['status', plan]).stdout).toMatch(/merge +12 +0 +12 /);

    writeFileSync(marker, '');
    submit(plan, 3);
    expect((await waitFor(plan)).code).toBe(0);
    const after = tasks(plan);
    expect(after.find((t) => t.id === 'extract.17')!.attempts).toBe(2);
    expect(after.filter((t) => t.stage === 'extract' && t.attempts !== 1).map((t) => t.id)).toEqual([
      'extract.17',
    ]);
  });

  it('3. cancel mid-run (SIGUSR2 from -notify, then SIGKILL): running tasks end interrupted; resubmit finishes', async () => {
    const runs = join(dir, 'runs-3');
    const plan = makePlan(
      'cancel',
      `stages:
  - {name: s, template: "sleep 0.5; echo {{k}} >> '${runs}'", matrix: {k: {range: [0, 40]}}}
  - {name: t, after: [s], template: "echo t{{k}} >> '${runs}'", matrix: {k: {range: [0, 2]}}}
`,
    );
    const sub = submit(plan, 2, '--nprocs', '2');
    const deadline = Date.now() + 60_000;
    while (lines(runs).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const c = cli(['cancel', plan, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(new Set(JSON.parse(c.stdout).cancelled)).toEqual(new Set(sub.jobIds));
    expect((await waitFor(plan)).code).toBe(1);
    for (const id of sub.jobIds) expect(listed().has(id)).toBe(false);
    const [s, t] = status(plan).stages;
    expect(s!.running).toBe(0);
    expect(s!.lost).toBe(0);
    expect(s!.interrupted).toBeGreaterThan(0);
    expect(s!.succeeded).toBeGreaterThan(0);
    expect(t!.pending).toBe(2);
    const doneBefore = tasks(plan, '--state', 'succeeded').map((x) => x.id);

    submit(plan, 2, '--nprocs', '2');
    expect((await waitFor(plan)).code).toBe(0);
    const counts = new Map<string, number>();
    for (const k of lines(runs)) counts.set(`s.${k}`, (counts.get(`s.${k}`) ?? 0) + 1);
    for (const id of doneBefore) expect(counts.get(id), id).toBe(1);
    expect(status(plan).overall.done).toBe(true);
  }, 180_000);

  it('4. the h_rt limit: -notify warns with SIGUSR2, the partition stops cleanly; a resubmission completes it', async () => {
    const marker = join(dir, 'quick-4');
    const plan = makePlan(
      'wallclock',
      `stages: [{name: long, template: "if [ -e '${marker}' ]; then echo done; else sleep 300; fi", matrix: {k: {range: [0, 4]}}}]\n`,
    );
    submit(plan, 1, '--time', '0:00:05', '--nprocs', '4');
    const r = await waitFor(plan);
    expect(r.code).toBe(1);
    const [stage] = JSON.parse(r.stdout).stages as Stage[];
    expect(stage).toMatchObject({ interrupted: 4, lost: 0, succeeded: 0, running: 0 });
    const out = readdirSync(join(plan, 'jobs')).map((f) => readFileSync(join(plan, 'jobs', f), 'utf8'));
    expect(out.join('')).toMatch(/SIGUSR2/);

    writeFileSync(marker, '');
    submit(plan, 1, '--time', '5');
    expect((await waitFor(plan)).code).toBe(0);
    expect(tasks(plan).map((t) => t.attempts)).toEqual([2, 2, 2, 2]);
  }, 120_000);

  it('5. splits a stage past --max-array-size (offsets via -v); dependants hold on all of its arrays', async () => {
    const plan = makePlan('split', TWO_STAGES());
    const dry = cli(['submit', plan, '5', '--runner', 'sge', '--max-array-size', '2', '--dry-run']);
    expect(dry.stdout).toMatch(
      /-t 1-1 -v BATCHPLAN_ARRAY_OFFSET=4 -hold_jid '<job of extract>,<job of extract>,<job of extract>'/,
    );
    const sub = submit(plan, 5, '--max-array-size', '2', '--max-running', '1');
    expect(sub.jobIds).toHaveLength(6); // 5 partitions = 2 + 2 + 1, twice
    expect((await waitFor(plan)).code).toBe(0);
    const all = tasks(plan);
    expect(all.every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
  });

  it('the rendered submit.sh submits, records the jobs, and batchplan wait follows them', async () => {
    const plan = makePlan('driver', TWO_STAGES());
    const { files, record } = runDriver(plan, 3, join(dir, 'driver-scripts'), '--time', '5');
    expect(files).toEqual(['stage-0.sge', 'stage-1.sge', 'submit.sh']);
    expect(record).toMatchObject({
      runner: 'sge',
      n: 3,
      arrays: [
        { stage: 0, offset: 0, size: 3 },
        { stage: 1, offset: 0, size: 3 },
      ],
    });
    expect(record.jobIds.every((id: string) => /^\d+$/.test(id))).toBe(true);
    expect((await waitFor(plan)).code).toBe(0);
    expect(status(plan).overall.done).toBe(true);
  });

  it('6. a rejected submission reports Grid Engine’s message, deletes what it submitted, records nothing', () => {
    const plan = makePlan('rejected', TWO_STAGES());
    const r = cli(['submit', plan, '2', '--runner', 'sge', '--partition', 'no-such-queue']);
    expect(r.code).toBe(15);
    expect(r.stderr).toMatch(/E_SUBMIT_FAILED/);
    expect(r.stderr).toMatch(/unknown queue "no-such-queue"/);
    expect(r.stderr).toMatch(/Nothing was recorded/);
    expect(existsSync(join(plan, 'submissions')) ? readdirSync(join(plan, 'submissions')) : []).toEqual([]);

    // The second stage's qsub fails: the first stage's job, already submitted, is deleted.
    const plan2 = makePlan('rejected-second', TWO_STAGES() + '    resources: {partition: no-such-queue}\n');
    const before = listed();
    const r2 = cli(['submit', plan2, '2', '--runner', 'sge']);
    expect(r2.code).toBe(15);
    expect(r2.stderr).toMatch(/the 1 job\(s\) already submitted were cancelled/);
    // Gone, or (if it had already started) being deleted: state d, SIGKILL after the -notify warning.
    const left = [...jobStates()].filter(([id]) => !before.has(id));
    expect(left.filter(([, state]) => !state.includes('d'))).toEqual([]);
    expect(existsSync(join(plan2, 'submissions')) ? readdirSync(join(plan2, 'submissions')) : []).toEqual([]);
  });

  it('refuses a second submission while the first holds every partition left, naming its job', async () => {
    const plan = makePlan(
      'twice',
      `stages: [{name: s, template: "sleep 3", matrix: {k: {range: [0, 2]}}}]\n`,
    );
    const [first] = submit(plan, 1).jobIds as [string];
    const again = cli(['submit', plan, '1', '--runner', 'sge']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`queued or running already: job ${first} (stage s, partition 0)`);
    const waited = cliAsync(['wait', plan, '--interval', '1']);
    expect((await waited.done).code).toBe(0);
  });
});
