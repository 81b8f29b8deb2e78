// End to end through Slurm's PBS layer, both flavours: the generated #PBS scripts go through Slurm's
// Torque-compatible qsub/qstat/qdel wrappers (scripts/slurm/torque-wrappers.sh) into sbatch, which
// reads #PBS directives, and spank_pbs sets PBS_ARRAY_INDEX. What this layer cannot show (PBS Pro's
// and Torque's own id format, dependency spelling, qstat -t) is checked against the manuals in
// test/runners/pbs-scheduler.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edge, engineHarness, lines, type EngineStage as Stage } from '../engine-harness.js';
import { ROOT, scratch } from '../helpers.js';

const dir = scratch('batchplan-pbs-');

/**
 * The directory holding Slurm's qsub/qstat/qdel wrappers, when the Slurm cluster runs and they are
 * there; undefined (skip) otherwise, or an error when CI requires the engines.
 */
export function pbsEngine(
  prepare: () => string | undefined,
  required = process.env.BATCHPLAN_REQUIRE_ENGINES === '1',
): string | undefined {
  const up = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  const clusterUp = up.status === 0 && /idle|mix|alloc/.test(up.stdout);
  const qsubDir = clusterUp ? prepare() : undefined;
  const ok = qsubDir !== undefined && existsSync(join(qsubDir, 'qsub')) && existsSync(join(qsubDir, 'qstat'));
  if (!ok && required)
    throw new Error(
      clusterUp
        ? `Slurm's PBS wrappers are missing (${qsubDir ?? 'torque-wrappers.sh failed'}); run scripts/slurm/torque-wrappers.sh`
        : `the Slurm cluster is not running (sinfo: ${up.stderr || up.stdout}); start it with scripts/slurm/up.sh`,
    );
  return ok ? qsubDir : undefined;
}

const QSUB_DIR = pbsEngine(() => {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'slurm', 'torque-wrappers.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
});

// The wrappers first in PATH: gridengine-client may own /usr/bin/qsub.
const env = QSUB_DIR ? { PATH: `${QSUB_DIR}:${process.env.PATH}` } : {};
const { run, makePlan, tasks, status, submitFrom, waitFor, runDriver } = engineHarness('pbs', dir, env);
/** PBS tests submit from a directory of their own: the qsub wrapper writes output files where it runs. */
const submit = (plan: string, n: number, cwd: string, ...flags: string[]) =>
  submitFrom(cwd, plan, n, ...flags);

/** What each qstat -f record says about its job (through the wrapper). */
function qstatState(id: string): string | undefined {
  const r = spawnSync(join(QSUB_DIR!, 'qstat'), ['-f', id], { encoding: 'utf8' });
  return /job_state = (\S+)/.exec(r.stdout)?.[1];
}

// Stage 1: 24 tasks in 4 partitions (an array) of about 3 s each, so that stage 2 is still queued
// on its dependency when the test looks; stage 2: one task, one partition (a plain job).
const TWO_STAGES = (log: string, fail = '') => `
stages:
  - name: extract
    template: "sleep 0.5; echo {{k}} $PBS_ARRAY_INDEX >> '${log}'${fail}"
    matrix: {k: {range: [0, 24]}}
  - name: merge
    after: [extract]
    template: "echo merge \${PBS_ARRAY_INDEX:-none} >> '${log}'"
    matrix: {k: {range: [0, 1]}}
`;

describe.runIf(QSUB_DIR).each(['pro', 'torque'] as const)(
  'pbs --flavor %s on Slurm’s PBS layer',
  (flavor) => {
    it('runs a two-stage plan: an array fanned out by index, then a plain job after it', async () => {
      const log = join(dir, `two-${flavor}.log`);
      const plan = makePlan(`two-${flavor}`, TWO_STAGES(log));
      const cwd = join(dir, `cwd-two-${flavor}`);
      spawnSync('mkdir', ['-p', cwd]);
      const started = Date.now();
      const sub = submit(
        plan,
        4,
        cwd,
        '--flavor',
        flavor,
        '--time',
        '5',
        '--cpus-per-task',
        '1',
        '--mem',
        '100M',
        '--max-running',
        '4',
      );
      expect(sub.jobIds).toHaveLength(2);
      for (const id of sub.jobIds) expect(id).toMatch(/^\d+$/); // the wrapper prints bare ids
      const script = readFileSync(join(sub.scripts, 'stage-0.pbs'), 'utf8');
      expect(script).toContain(flavor === 'pro' ? '#PBS -J 0-3%4' : '#PBS -t 0-3%4');
      expect(script).toContain(
        flavor === 'pro' ? '#PBS -l select=1:ncpus=1:mem=100mb' : '#PBS -l nodes=1:ppn=1',
      );
      // sbatch read the #PBS directives: walltime and job name reached Slurm.
      const show = spawnSync('scontrol', ['show', 'job', sub.jobIds[0]!], { encoding: 'utf8' }).stdout;
      expect(show).toMatch(/JobName=bp0-extract/);
      expect(show).toMatch(/TimeLimit=00:05:00/);
      // Stage 2 waits in the queue on its dependency. Judged only if Slurm still holds it after status
      // has run (states only move forward): at load 20 stage 1 can end before status has started.
      const merge = status(plan).stages[1];
      const still = spawnSync('squeue', ['-h', '-j', sub.jobIds[1]!, '-o', '%T'], { encoding: 'utf8' });
      if (still.stdout.trim() === 'PENDING') expect(merge).toMatchObject({ queued: 1, pending: 0 });

      const r = await waitFor(plan);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const elapsed = (Date.now() - started) / 1000;
      const st = JSON.parse(r.stdout) as { stages: Stage[]; overall: { done: boolean } };
      expect(st.overall.done).toBe(true);
      expect(st.stages.map((s) => [s.name, s.succeeded, s.failed])).toEqual([
        ['extract', 24, 0],
        ['merge', 1, 0],
      ]);
      const all = tasks(plan);
      expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
        edge(all, 'extract', 'endedAt', Math.max),
      );
      // Each element read its index: the tasks of partition i saw PBS_ARRAY_INDEX=i (24 tasks, 6 each).
      const seen = lines(log).filter((l) => !l.startsWith('merge'));
      const perIndex = new Map<string, number>();
      for (const l of seen) perIndex.set(l.split(' ')[1]!, (perIndex.get(l.split(' ')[1]!) ?? 0) + 1);
      expect(Object.fromEntries(perIndex)).toEqual({ 0: 6, 1: 6, 2: 6, 3: 6 });
      // The single-partition stage ran as a plain job: no array index at all.
      expect(lines(log).filter((l) => l.startsWith('merge'))).toEqual(['merge none']);
      // The wrapper names output after the script, per element, where qsub ran.
      expect(
        readdirSync(cwd)
          .filter((f) => f.startsWith('stage-0.pbs.o'))
          .sort(),
      ).toEqual([0, 1, 2, 3].map((i) => `stage-0.pbs.o${sub.jobIds[0]}.${i}`));
      expect(qstatState(sub.jobIds[0]!)).toBe('C');
      console.log(`pbs ${flavor}: two stages submitted, run and waited for in ${elapsed.toFixed(1)} s`);
    }, 240_000);

    it('a failing task fails its stage; Slurm cancels the next one; wait exits 1', async () => {
      const log = join(dir, `fail-${flavor}.log`);
      const plan = makePlan(`fail-${flavor}`, TWO_STAGES(log, '; [ {{k}} -ne 5 ]'));
      const sub = submit(plan, 4, dir, '--flavor', flavor);
      const r = await waitFor(plan);
      expect(r.code).toBe(1);
      const [extract, merge] = (JSON.parse(r.stdout) as { stages: Stage[] }).stages;
      expect(extract).toMatchObject({ succeeded: 23, failed: 1 });
      expect(merge).toMatchObject({ succeeded: 0, pending: 1, running: 0 });
      expect(lines(log).some((l) => l.startsWith('merge'))).toBe(false);
      // The dependant was cancelled (#SBATCH --kill-on-invalid-dep=yes), not left queued forever.
      const show = spawnSync('scontrol', ['show', 'job', sub.jobIds[1]!], { encoding: 'utf8' }).stdout;
      expect(show).toMatch(/JobState=CANCELLED Reason=DependencyNeverSatisfied/);
      expect(
        tasks(plan)
          .filter((t) => t.state === 'failed')
          .map((t) => t.id),
      ).toEqual(['extract.5']);
    }, 240_000);

    it('the rendered submit.sh submits in order, records the jobs, and wait follows them', async () => {
      const log = join(dir, `driver-${flavor}.log`);
      const plan = makePlan(`driver-${flavor}`, TWO_STAGES(log));
      const out = join(dir, `driver-${flavor}-scripts`);
      const { files, record } = runDriver(plan, 3, out, '--flavor', flavor);
      expect(files).toEqual(['stage-0.pbs', 'stage-1.pbs', 'submit.sh']);
      expect(record).toMatchObject({
        runner: 'pbs',
        n: 3,
        arrays: [
          { stage: 0, offset: 0, size: 3 },
          { stage: 1, offset: 0, size: 1 },
        ],
      });
      expect((await waitFor(plan)).code).toBe(0);
      const all = tasks(plan);
      expect(all.every((t) => t.state === 'succeeded')).toBe(true);
      expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
        edge(all, 'extract', 'endedAt', Math.max),
      );
      // submit.sh ran qsub inside <plan>/jobs, where the wrapper then wrote each element's output.
      expect(readdirSync(join(plan, 'jobs')).filter((f) => f.startsWith('stage-0.pbs.o'))).toHaveLength(3);
    }, 240_000);
  },
);

describe.runIf(QSUB_DIR)('pbs on Slurm’s PBS layer', () => {
  it('splits past --max-array-size: offsets reach run-partition through qsub -v', async () => {
    // A plain last stage after the split one: Slurm's qstat wrapper may call an array complete while an
    // element still runs, so `wait` must follow a job that cannot start before every element ended.
    const plan = makePlan(
      'split',
      `stages: [{name: s, template: "echo {{k}}", matrix: {k: {range: [0, 10]}}}, {name: last, after: [s], tasks: [{cmd: "true"}]}]\n`,
    );
    const sub = submit(plan, 10, dir, '--max-array-size', '4');
    expect(sub.jobIds).toHaveLength(4); // 4 + 4 + 2, then the plain job
    expect((await waitFor(plan)).code).toBe(0);
    expect(tasks(plan).every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
  }, 240_000);

  it('cancel runs qdel; running tasks end up interrupted and a new submission finishes the rest', async () => {
    const runs = join(dir, 'runs-cancel');
    const plan = makePlan(
      'cancel',
      `stages: [{name: s, template: "sleep 0.5; echo {{k}} >> '${runs}'", matrix: {k: {range: [0, 20]}}}]\n`,
    );
    submit(plan, 1, dir, '--nprocs', '2');
    const deadline = Date.now() + 60_000;
    while (lines(runs).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const c = run(['cancel', plan, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).cancelled).toHaveLength(1);
    expect((await waitFor(plan)).code).toBe(1);
    const mid = status(plan).stages[0]!;
    expect(mid.running).toBe(0);
    expect(mid.interrupted + mid.lost, JSON.stringify(mid)).toBeGreaterThan(0);
    submit(plan, 1, dir, '--nprocs', '2');
    expect((await waitFor(plan)).code).toBe(0);
    expect(status(plan).stages[0]!.succeeded).toBe(20);
  }, 240_000);

  it('#PBS lines are read with shell quoting: a hostile account reaches Slurm literally, nothing runs', async () => {
    const cwd = join(dir, 'cwd-quoting');
    spawnSync('mkdir', ['-p', cwd]);
    // A plain last stage, for `wait` (see the split test above).
    const plan = makePlan(
      'quoting',
      `stages: [{name: s, template: "true", matrix: {k: {range: [0, 2]}}}, {name: last, after: [s], tasks: [{cmd: "true"}]}]\n`,
    );
    const account = `lab's $(touch pwned-account) "x" \`touch pwned-tick\``;
    const sub = submit(plan, 2, cwd, '--account', account);
    const show = spawnSync('scontrol', ['show', 'job', sub.jobIds[0]!], { encoding: 'utf8' }).stdout;
    expect(show).toContain(`Account=${account} `);
    expect((await waitFor(plan)).code).toBe(0);
    expect(readdirSync(cwd).filter((f) => f.startsWith('pwned'))).toEqual([]);
  }, 240_000);

  it('a refused qsub reports the wrapper’s message and records nothing', () => {
    const plan = makePlan(
      'rejected',
      `stages: [{name: s, template: "true", matrix: {k: {range: [0, 2]}}}]\n`,
    );
    const r = run(['submit', plan, '2', '--runner', 'pbs', '--partition', 'no-such-partition']);
    expect(r.code).toBe(15);
    expect(r.stderr).toMatch(/E_SUBMIT_FAILED/);
    expect(r.stderr).toMatch(/invalid partition/i);
    expect(existsSync(join(plan, 'submissions')) ? readdirSync(join(plan, 'submissions')) : []).toEqual([]);
  });
});

describe('pbs engine check', () => {
  it('fails rather than skips when BATCHPLAN_REQUIRE_ENGINES=1 and the wrappers are missing', () => {
    expect(() => pbsEngine(() => '/nonexistent/slurm-torque/usr/bin', true)).toThrow(/missing|not running/);
    expect(() => pbsEngine(() => undefined, true)).toThrow(/missing|not running/);
    expect(pbsEngine(() => '/nonexistent/slurm-torque/usr/bin', false)).toBeUndefined();
  });
});
