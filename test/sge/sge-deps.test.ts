// Task-level dependencies on the local Grid Engine cell: when each merge partition needs only the
// extract partition of the same index (groups aligned with partitions), the merge array is
// submitted with -hold_jid_ad, so merge task i starts once extract task i is done, before the
// slower groups end; by submit.sh and by `batchplan submit` alike. A failed extract blocks only its
// own merge: -hold_jid_ad dependants are not deleted with the stages after a failed partition.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, type EngineTask } from '../engine-harness.js';
import { cli, scratch } from '../helpers.js';
import { cellUp } from './cell.js';

const dir = scratch('batchplan-sge-deps-');
const available = cellUp();
const { makePlan, tasks, submit, waitFor, runDriver } = engineHarness('sge', dir);

/** 4 groups of 3 extracts (group g's sleep 5(3-g) s: group 0 takes 15 s, group 3 none), a merge per group. */
const spec = (extract: string) => `
defaults: {nprocs: 3}
stages:
  - name: extract
    template: "${extract}"
    matrix:
      group: {range: [0, 4]}
      part: {range: [0, 3]}
  - name: merge
    template: "echo merge {{group}}"
    matrix:
      group: {range: [0, 4]}
    requires:
      - {stage: extract, match: {group: "{{group}}"}}
`;
const TIMED = spec('sleep $(( (3 - {{group}}) * 5 )); echo extract {{group}} {{part}}');

const ms = (t: EngineTask, key: 'startedAt' | 'endedAt') => Date.parse(t[key]!);

/** The extracts of each merge's group, by the commands `tasks` lists. */
function groups(plan: string, all: EngineTask[]) {
  const rows = JSON.parse(cli(['tasks', plan, '--json']).stdout) as { id: string; cmd: string }[];
  const group = new Map(rows.map((x) => [x.id, /(?:extract|merge) (\d+)/.exec(x.cmd)?.[1]]));
  return all
    .filter((m) => m.stage === 'merge')
    .map((merge) => ({
      merge,
      extracts: all.filter((x) => x.stage === 'extract' && group.get(x.id) === group.get(merge.id)),
    }));
}

function expectEarlyMerges(plan: string) {
  const all = tasks(plan);
  expect(all.filter((x) => x.state === 'succeeded')).toHaveLength(16);
  const lastEnd = Math.max(...all.filter((x) => x.stage === 'extract').map((x) => ms(x, 'endedAt')));
  for (const { merge, extracts } of groups(plan, all)) {
    expect(extracts).toHaveLength(3);
    expect(ms(merge, 'startedAt')).toBeGreaterThanOrEqual(Math.max(...extracts.map((x) => ms(x, 'endedAt'))));
  }
  // Group 3's extracts take no time, group 0's 15 s: merge 3 starts long before the last one ends.
  const merge3 = all.find((x) => x.id === 'merge.3')!;
  expect(ms(merge3, 'startedAt'), 'merge 3 before the slowest group ends').toBeLessThan(lastEnd);
}

/** What Grid Engine holds the merge array on (qstat -j, while it is still listed). */
const holds = (job: string) =>
  spawnSync('qstat', ['-j', job], { encoding: 'utf8' }).stdout.match(/^(jid|ja_ad)_predecessor_list:.*$/gm) ??
  [];

describe.runIf(available)('sge: task-level dependencies', () => {
  it('submit.sh: merge task i holds on extract task i (-hold_jid_ad) and starts before the slowest group ends', async () => {
    const plan = makePlan('timed-sh', TIMED);
    const { record } = runDriver(plan, 4, join(dir, 'timed-scripts'));
    expect(record.jobIds, 'one array per stage').toHaveLength(2);
    const [extractJob, mergeJob] = record.jobIds as [string, string];
    expect(holds(mergeJob)).toEqual([`ja_ad_predecessor_list:     ${extractJob}`]);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    expectEarlyMerges(plan);
  }, 300_000);

  it('batchplan submit: the same', async () => {
    const plan = makePlan('timed', TIMED);
    const sub = submit(plan, 4);
    expect(sub.jobIds).toHaveLength(2);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    expectEarlyMerges(plan);
  }, 300_000);

  it('a failed extract blocks only its merge; the other merges run', async () => {
    const plan = makePlan('fail', spec('test {{group}}-{{part}} != 1-2'));
    submit(plan, 4);
    await waitFor(plan);
    const all = tasks(plan);
    expect(all.filter((x) => x.state === 'failed')).toHaveLength(1);
    expect(all.filter((x) => x.stage === 'merge').map((x) => x.state)).toEqual([
      'succeeded',
      'blocked',
      'succeeded',
      'succeeded',
    ]);
  }, 300_000);
});
