// Partitions per stage on every engine that runs here: a three-stage plan whose stages split into
// 6 (their own count), 3 (tasks_per_partition: 4 of 9) and N = 2 partitions runs every task exactly
// once, each partition a journal of its own slice, on sequential bash, GNU parallel, the real Slurm
// (array sizes read back from scontrol), Grid Engine (from qstat -j) and PBS through Slurm's
// wrappers; and after a failure and `retry` on Slurm, only the failed task's partition of its stage
// is resubmitted, with the stage's own count.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, lines } from '../engine-harness.js';
import { cli, engineAvailable, scratch, slurmUp } from '../helpers.js';
import {
  jobArrays,
  partitionSlices,
  pbsWrappers,
  sgeArraySize,
  sgeUp,
  spec,
  STAGES,
  stillPending,
} from './engines-helpers.js';

const dir = scratch('batchplan-partitions-engines-');
const N = 2;
/** The partitions each stage gets for N = 2: its own 6, 9 tasks by 4, and N. */
const COUNTS = [6, 3, 2];

/** Every task's log line, each exactly once, and every partition's journal holding its own slice. */
function ranOnce(plan: string, log: string): void {
  const want = STAGES.flatMap((s) => Array.from({ length: s.tasks }, (_, i) => `${s.name} ${i}`));
  expect(lines(log).sort()).toEqual(want.sort());
  STAGES.forEach((_, k) => {
    const journals = readdirSync(join(plan, 'status', `stage-${k}`)).filter((f) => f.endsWith('.jsonl'));
    expect(journals.map((f) => f.split('.')[0]).sort(), `stage ${k}`).toEqual(
      partitionSlices(STAGES[k]!.tasks, COUNTS[k]!).sort(),
    );
  });
}

describe('every task exactly once, with the stages’ own counts', () => {
  const local = (runner: string) => {
    const { makePlan, tasks } = engineHarness(runner, dir);
    const log = join(dir, `${runner}.log`);
    const plan = makePlan(runner, spec(log));
    const script = join(dir, `${runner}.sh`);
    const g = cli(['generate-script', plan, String(N), '--runner', runner, '-o', script, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).stages.map((s: { partitions: number }) => s.partitions)).toEqual(COUNTS);
    const r = spawnSync('bash', [script], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    ranOnce(plan, log);
    expect(tasks(plan).every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
  };

  it('sequential bash', () => local('sequential'), 120_000);
  it.runIf(engineAvailable('parallel'))('GNU parallel', () => local('gnu-parallel'), 120_000);

  it.runIf(slurmUp())(
    'Slurm: arrays of 6, 3 and 2 elements',
    async () => {
      const { makePlan, submit, waitFor, tasks, status } = engineHarness('slurm', dir);
      const log = join(dir, 'slurm.log');
      const plan = makePlan('slurm', spec(log));
      const sub = submit(plan, N);
      expect(sub.jobIds).toHaveLength(3);
      // Queued while Slurm holds them, counted over each stage's own partitions: judged only for the
      // stages still pending once status has answered (a quiet machine may be done with b already).
      const early = status(plan).stages;
      sub.jobIds.forEach((id, k) => {
        if (k > 0 && stillPending(id)) expect(early[k]!.queued, STAGES[k]!.name).toBe(STAGES[k]!.tasks);
      });
      const w = await waitFor(plan);
      expect(w.code, w.stderr).toBe(0);
      // Slurm's own view: each array's elements (scontrol keeps ended jobs for MinJobAge, 300 s).
      expect(sub.jobIds.map((id) => jobArrays(id))).toEqual(
        COUNTS.map((c) => Array.from({ length: c }, (_, i) => i)),
      );
      ranOnce(plan, log);
      expect(tasks(plan).every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    },
    300_000,
  );

  it.runIf(sgeUp())(
    'Grid Engine: arrays of 6, 3 and 2 tasks',
    async () => {
      const { makePlan, submit, waitFor, tasks } = engineHarness('sge', dir);
      const log = join(dir, 'sge.log');
      // The first stage's tasks take a moment, so that qstat still knows its array when asked.
      const plan = makePlan('sge', spec(log, 'sleep 1; '));
      const sub = submit(plan, N);
      expect(sub.jobIds).toHaveLength(3);
      // Held behind the first stage, the later arrays are surely still listed; the first too (1 s tasks).
      expect(sub.jobIds.map((id) => sgeArraySize(id))).toEqual(COUNTS);
      const w = await waitFor(plan);
      expect(w.code, w.stderr).toBe(0);
      ranOnce(plan, log);
      expect(tasks(plan).every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    },
    300_000,
  );

  const qsubDir = pbsWrappers();
  it.runIf(qsubDir)(
    'PBS on Slurm’s wrappers: arrays of 6, 3 and 2 elements',
    async () => {
      const env = { PATH: `${qsubDir}:${process.env.PATH}` };
      const { makePlan, submitFrom, waitFor, tasks } = engineHarness('pbs', dir, env);
      const log = join(dir, 'pbs.log');
      const plan = makePlan('pbs', spec(log));
      // The qsub wrapper writes output files where it runs.
      const cwd = join(dir, 'cwd-pbs');
      mkdirSync(cwd, { recursive: true });
      const sub = submitFrom(cwd, plan, N);
      expect(sub.jobIds).toHaveLength(3);
      const w = await waitFor(plan);
      expect(w.code, w.stderr).toBe(0);
      expect(sub.jobIds.map((id) => jobArrays(id))).toEqual(
        COUNTS.map((c) => Array.from({ length: c }, (_, i) => i)),
      );
      ranOnce(plan, log);
      expect(tasks(plan).every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    },
    300_000,
  );
});

describe.runIf(slurmUp())('Slurm: submit only what is left, with the stages’ own counts', () => {
  it('after a failure and retry, only the failed task’s partition of its stage, then the later stages whole', async () => {
    const { makePlan, submit, waitFor, tasks, status } = engineHarness('slurm', dir);
    const log = join(dir, 'left.log');
    const fixed = join(dir, 'fixed');
    // Task a.9 fails until `fixed` exists: it is in partition 2 of a's own 6 ([8, 11)).
    const plan = makePlan('left', spec(log, '', `test {{i}} != 9 || test -e '${fixed}'`));
    const first = submit(plan, N);
    expect(first.jobIds).toHaveLength(3);
    expect((await waitFor(plan)).code).not.toBe(0);
    expect(status(plan).stages.map((s) => [s.succeeded, s.failed])).toEqual([
      [19, 1],
      [0, 0],
      [0, 0],
    ]);

    writeFileSync(fixed, '');
    expect(cli(['retry', plan]).code).toBe(0);
    const again = submit(plan, N) as ReturnType<typeof submit> & {
      stages: { name: string; partitions: number; submitted: number }[];
      arrays?: unknown;
    };
    expect(again.stages.map((s) => [s.name, s.partitions, s.submitted])).toEqual([
      ['a', 6, 1],
      ['b', 3, 3],
      ['c', 2, 2],
    ]);
    // Slurm's view: a one-element array of partition 2 (index 0 plus offset 2), b and c whole.
    expect(again.jobIds.map((id) => jobArrays(id))).toEqual([[0], [0, 1, 2], [0, 1]]);
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    // Only partition 2 of a ran again: a.9 (failed before) and its slice mates a.8, a.10 skipped.
    expect(tasks(plan, '--stage', 'a').map((t) => t.attempts)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 9 ? 2 : 1)),
    );
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([20, 9, 5]);
    const a = lines(log).filter((l) => l.startsWith('a '));
    expect(a.filter((l) => l === 'a 9')).toHaveLength(1); // its failed try logged nothing
    expect(a).toHaveLength(20);
  }, 400_000);
});
