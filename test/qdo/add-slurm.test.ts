// batchplan add on the local Slurm cluster: after the plan's own stages are done, `submit` submits
// only the added stages (one array each), and the added stage that depends on an old one runs.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineHarness } from '../engine-harness.js';
import { cli, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-qdo-add-slurm-');
const available = slurmUp();
const { makePlan, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

describe.runIf(available)('slurm: submit after add', () => {
  it('submits only the new stages', async () => {
    const plan = makePlan(
      'add',
      "stages:\n  - name: extract\n    template: 'echo extract {{k}}'\n    matrix: {k: {range: [0, 4]}}\n",
    );
    expect(cli(['run', plan]).code).toBe(0);
    writeFileSync(
      join(dir, 'more.yaml'),
      "stages:\n  - name: merge\n    after: [extract]\n    template: 'echo merge {{k}}'\n    matrix: {k: {range: [0, 3]}}\n  - {name: final, after: [merge], tasks: [{cmd: 'echo final'}]}\n",
    );
    const r = cli(['add', plan, join(dir, 'more.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const sub = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string }[];
      skipped: string[];
    };
    expect(sub.skipped).toEqual(['extract']);
    expect(sub.stages.map((s) => s.name)).toEqual(['merge', 'final']);
    expect(sub.jobIds).toHaveLength(2);
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([4, 3, 1]);
    // The old stage's tasks ran once, locally, before the add.
    expect(tasks(plan, '--stage', 'extract').every((t) => t.attempts === 1)).toBe(true);
  });
});
