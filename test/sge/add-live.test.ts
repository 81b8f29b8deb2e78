// batchplan add while the plan's array runs on the local Grid Engine cell: submit submits only the
// added stages, each holding on the live job as Grid Engine spells it (-hold_jid for a stage after
// it, -hold_jid_ad for a stage needing it task by task, element for element), through the
// scheduler's own dependency words; the live tasks run once, and wait covers both.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edge, engineHarness } from '../engine-harness.js';
import { cli, scratch } from '../helpers.js';
import { cellUp } from './cell.js';

const dir = scratch('batchplan-sge-add-live-');
const available = cellUp();
const { makePlan, tasks, status, submit, waitFor } = engineHarness('sge', dir);

/** What Grid Engine holds a job on (qstat -j, while it is still listed). */
const holds = (job: string) =>
  spawnSync('qstat', ['-j', job], { encoding: 'utf8' }).stdout.match(/^(jid|ja_ad)_predecessor_list:.*$/gm) ??
  [];

describe.runIf(available)('sge: add while the jobs run', () => {
  it('the added stages hold on the live array (-hold_jid, -hold_jid_ad); nothing of it is submitted again', async () => {
    const plan = makePlan(
      'live',
      "stages:\n  - name: extract\n    nprocs: 2\n    template: 'sleep 10; echo extract {{k}}'\n    matrix: {k: {range: [0, 4]}}\n",
    );
    const [extractJob] = submit(plan, 2).jobIds as [string];
    const deadline = Date.now() + 120_000;
    while (!status(plan).stages[0]!.running) {
      expect(Date.now(), 'an extract task starts').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    writeFileSync(
      join(dir, 'more.yaml'),
      `stages:
  - name: merge
    after: [extract]
    template: 'echo merge {{g}}'
    matrix: {g: {range: [0, 2]}}
  - name: pick
    template: 'echo pick {{g}}'
    matrix: {g: {range: [0, 4]}}
    requires: ['extract.{{g}}']
`,
    );
    expect(cli(['add', plan, join(dir, 'more.yaml')]).code).toBe(0);
    const again = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string }[];
      live: { jobId: string }[];
    };
    expect(again.stages.map((s) => s.name)).toEqual(['merge', 'pick']);
    expect(again.live.map((j) => j.jobId)).toEqual([extractJob]);
    const [mergeJob, pickJob] = again.jobIds as [string, string];
    expect(holds(mergeJob)).toEqual([`jid_predecessor_list:       ${extractJob}`]);
    // pick task i needs extract task i only: the same elements, -hold_jid_ad.
    expect(holds(pickJob)).toEqual([`ja_ad_predecessor_list:     ${extractJob}`]);
    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([4, 2, 4]);
    const all = tasks(plan);
    expect(all.map((t) => t.attempts)).toEqual(all.map(() => 1));
    expect(edge(all, 'merge', 'startedAt', Math.min)).toBeGreaterThanOrEqual(
      edge(all, 'extract', 'endedAt', Math.max),
    );
  }, 300_000);
});
