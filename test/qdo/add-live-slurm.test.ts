// batchplan add while the plan's jobs run on the local Slurm cluster: the running partitions finish
// as if nothing happened (each task once, one attempt); `submit` meanwhile refuses, naming the live
// jobs, and submits nothing; once they have ended it submits only the added stage.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-qdo-add-live-');
const available = slurmUp();
const { makePlan, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

describe.runIf(available)('slurm: add while the jobs run', () => {
  it('running partitions are unaffected; submit waits for them, then submits only the new stage', async () => {
    const plan = makePlan(
      'live',
      "stages:\n  - name: extract\n    nprocs: 2\n    template: 'sleep 8; echo extract {{k}}'\n    matrix: {k: {range: [0, 4]}}\n",
    );
    const first = submit(plan, 2);
    expect(first.jobIds).toHaveLength(1);
    // Added once a task runs: the jobs have started.
    const deadline = Date.now() + 120_000;
    while (!status(plan).stages[0]!.running) {
      expect(Date.now(), 'an extract task starts').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    writeFileSync(
      join(dir, 'more.yaml'),
      "stages:\n  - name: merge\n    template: 'echo merge {{g}}'\n    matrix: {g: {range: [0, 2]}}\n    requires: ['extract.{{g}}']\n",
    );
    const added = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(added.code, added.stderr).toBe(0);
    const records = () => readdirSync(join(plan, 'submissions')).length;
    const refused = cli(['submit', plan, '2', '--runner', 'slurm']);
    if (status(plan).stages[0]!.succeeded < 4) {
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`already has jobs queued or running (${first.jobIds[0]}`);
      expect(records()).toBe(1);
    }
    const w = await waitFor(plan);
    expect(w.code).not.toBe(0); // merge has not run yet
    expect(tasks(plan, '--stage', 'extract').map((t) => [t.state, t.attempts])).toEqual(
      Array.from({ length: 4 }, () => ['succeeded', 1]),
    );

    const again = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string }[];
      skipped: string[];
    };
    expect(again.skipped).toEqual(['extract']);
    expect(again.stages.map((s) => s.name)).toEqual(['merge']);
    expect(again.jobIds).toHaveLength(1);
    const done = await waitFor(plan);
    expect(done.code, done.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([4, 2]);
    expect(tasks(plan, '--stage', 'extract').every((t) => t.attempts === 1)).toBe(true);
  }, 300_000);
});
