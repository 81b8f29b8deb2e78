// submit --skip-failures on the local Slurm cluster: a task that failed earlier is not run again,
// the others run; a partition whose only unfinished task failed is not submitted, nor is a stage
// after the whole of that stage (it could never start), while a stage needing its tasks one by one
// is, and only its task that needs the failure ends blocked. Without the flag, the failure reruns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-skip-failures-slurm-');
const available = slurmUp();
const { makePlan, run, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

const SPEC = `
stages:
  - name: a
    template: 'test {{n}} != 1'
    matrix: {n: {range: [0, 6]}}
  - {name: b, after: [a], tasks: [{cmd: 'true'}]}
  - name: c
    template: 'true {{n}}'
    matrix: {n: {range: [0, 6]}}
    requires: [{stage: a, match: {n: '{{n}}'}}]
`;

const newestRecord = (plan: string) => {
  const names = readdirSync(join(plan, 'submissions')).sort();
  return JSON.parse(readFileSync(join(plan, 'submissions', names.at(-1)!), 'utf8')) as {
    arrays: { stage: number; offset: number; size: number }[];
  };
};

describe.runIf(available)('slurm: submit --skip-failures', () => {
  it('leaves the failed task alone and submits only partitions with other work', async () => {
    const plan = makePlan('skip', SPEC);
    // Partition 0 of a (a.0, a.1) here: a.1 fails; a's partitions 1 and 2 are still to run.
    expect(run(['run-partition', plan, 'a', '3', '0']).code).toBe(1);

    const sub = run(['submit', plan, '3', '--runner', 'slurm', '--skip-failures']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stderr).toContain('not submitting stage b: nothing it could run (failed tasks left alone');
    expect(newestRecord(plan).arrays).toEqual([
      { stage: 0, offset: 1, size: 2 },
      { stage: 2, offset: 0, size: 3 },
    ]);
    const w = await waitFor(plan);
    expect(w.code).toBe(1);
    const a = tasks(plan, '--stage', 'a');
    expect(a.map((t) => [t.state, t.attempts])).toEqual([
      ['succeeded', 1],
      ['failed', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    expect(tasks(plan, '--stage', 'c').map((t) => t.state)).toEqual([
      'succeeded',
      'blocked',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(status(plan).stages.map((s) => [s.name, s.pending])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 0],
    ]);

    // Now only the failure (and what it blocked) is left: nothing to do with the flag, exit 0 …
    const none = run(['submit', plan, '3', '--runner', 'slurm', '--skip-failures']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toMatch(
      /nothing to do: no task of .* is left to run but 1 failed one\(s\), left alone/,
    );
    // … and without it, a's partition 0 runs a.1 again.
    const again = submit(plan, 3);
    expect(again.jobIds.length).toBeGreaterThan(0);
    expect(newestRecord(plan).arrays[0]).toEqual({ stage: 0, offset: 0, size: 1 });
    await waitFor(plan);
    expect(tasks(plan, '--stage', 'a')[1]).toMatchObject({ state: 'failed', attempts: 2 });
  });
});
