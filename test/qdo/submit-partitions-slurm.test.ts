// Submit only the partitions with work left, on the local Slurm cluster: after one failed task and
// `retry`, `batchplan submit` and a freshly generated submit.sh resubmit only that task's partition
// (an array piece with its offset), and the stage after it in full.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-qdo-left-slurm-');
const available = slurmUp();
const { makePlan, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

const spec = (fixed: string) => `
stages:
  - name: extract
    template: 'test {{k}} != 5 || test -e ${fixed}'
    matrix: {k: {range: [0, 8]}}
  - name: merge
    after: [extract]
    template: 'echo merge {{k}}'
    matrix: {k: {range: [0, 2]}}
`;

const newestRecord = (plan: string) => {
  const names = readdirSync(join(plan, 'submissions')).sort();
  return JSON.parse(readFileSync(join(plan, 'submissions', names.at(-1)!), 'utf8')) as {
    arrays: { stage: number; offset: number; size: number }[];
    jobIds: string[];
  };
};

describe.runIf(available)('slurm: submit only the partitions with work left', () => {
  it('after a failure and retry, only that partition is resubmitted, by submit and by submit.sh', async () => {
    const fixed = join(dir, 'fixed');
    const plan = makePlan('left', spec(fixed));
    const first = submit(plan, 4);
    expect(newestRecord(plan).arrays).toEqual([
      { stage: 0, offset: 0, size: 4 },
      { stage: 1, offset: 0, size: 2 },
    ]);
    expect(first.jobIds).toHaveLength(2);
    expect((await waitFor(plan)).code).not.toBe(0);
    expect(status(plan).stages.map((s) => [s.succeeded, s.failed])).toEqual([
      [7, 1],
      [0, 0],
    ]);

    writeFileSync(fixed, '');
    expect(cli(['retry', plan]).code).toBe(0);
    // submit.sh rendered now holds one piece of extract: partition 2 (tasks 4-5), offset 2.
    const out = join(dir, 'scripts-left');
    const g = cli(['generate-script', plan, '4', '--runner', 'slurm', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const sh = readFileSync(join(out, 'submit.sh'), 'utf8');
    expect(sh.match(/^.*sbatch.*$/gm)!.filter((l) => l.includes('stage-0'))).toHaveLength(1);
    expect(sh).toContain('BATCHPLAN_ARRAY_OFFSET=2');
    expect(sh).toContain('--array=0-0');

    const again = submit(plan, 4) as ReturnType<typeof submit> & {
      stages: { name: string; partitions: number; submitted: number }[];
    };
    expect(again.stages.map((s) => [s.name, s.partitions, s.submitted])).toEqual([
      ['extract', 4, 1],
      ['merge', 2, 2],
    ]);
    expect(newestRecord(plan).arrays).toEqual([
      { stage: 0, offset: 2, size: 1 },
      { stage: 1, offset: 0, size: 2 },
    ]);
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    const extract = tasks(plan, '--stage', 'extract');
    // Only partition 2's tasks ran again: task 5 (failed) and task 4 (skipped: it had succeeded).
    expect(extract.map((t) => t.attempts)).toEqual([1, 1, 1, 1, 1, 2, 1, 1]);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([8, 2]);

    // A freshly generated submit.sh, run by bash: only partition 3 of extract, for the rerun task 7.
    expect(cli(['rerun', plan, '--force', '--id', 'extract.7']).code).toBe(0);
    const out2 = join(dir, 'scripts-left-2');
    expect(cli(['generate-script', plan, '4', '--runner', 'slurm', '-o', out2]).code).toBe(0);
    const r = spawnSync('bash', [join(out2, 'submit.sh')], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // merge has succeeded whole (rerun resets only what it names): not submitted.
    expect(newestRecord(plan).arrays).toEqual([{ stage: 0, offset: 3, size: 1 }]);
    expect((await waitFor(plan)).code).toBe(0);
    expect(tasks(plan, '--stage', 'extract').map((t) => t.attempts)).toEqual([1, 1, 1, 1, 1, 2, 1, 2]);
  }, 240_000);
});
