// The qdo example on the local Slurm cluster: one array per stage, each merge element waiting only
// for the extract elements holding its group (afterany:<job>_<i>, narrowed with scontrol update
// after the array is submitted, by `batchplan submit` and by submit.sh alike); merges starting
// before the slowest group ends (journals' start times); the urgent task first; a failed extract
// blocking only its merge, then retry and a resubmission that finishes the plan.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, type EngineTask } from '../engine-harness.js';
import { cli, FIXTURES, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-deps-slurm-');
const available = slurmUp();
const { makePlan, tasks, status, submit, waitFor, runDriver } = engineHarness('slurm', dir);
const QDO = readFileSync(join(FIXTURES, 'examples', 'qdo.yaml'), 'utf8');

/** The qdo example with other commands, groups and parts. */
function variant(extract: string, groups: number, parts: number): string {
  return QDO.replace('echo extract {{group}} {{part}}', extract)
    .replaceAll('range: [0, 32]', `range: [0, ${groups}]`)
    .replace('range: [0, 25]', `range: [0, ${parts}]`)
    .replace('(eq group 31)', `(eq group ${groups - 1})`)
    .replace('(eq part 24)', `(eq part ${parts - 1})`);
}

/** Each array element's Dependency field, by element index. */
function dependencies(jobId: string): Map<number, string> {
  const out = spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' }).stdout;
  const deps = new Map<number, string>();
  for (const line of out.split('\n')) {
    const task = /ArrayTaskId=(\d+)\s/.exec(line)?.[1];
    const dep = /Dependency=(\S+)/.exec(line)?.[1];
    if (task !== undefined && dep !== undefined) deps.set(Number(task), dep);
  }
  return deps;
}

const at = (all: EngineTask[], id: string, key: 'startedAt' | 'endedAt') =>
  Date.parse(all.find((x) => x.id === id)![key]!);

describe.runIf(available)('slurm: task-level dependencies (the qdo example)', () => {
  it('submit.sh: 2 arrays for 832 tasks, each merge element waiting for 2 extract elements only', async () => {
    const plan = makePlan('qdo', QDO);
    const { record } = runDriver(plan, 32, join(dir, 'qdo-scripts'));
    expect(record.jobIds, 'one array per stage').toHaveLength(2);
    const [extractJob, mergeJob] = record.jobIds as [string, string];
    const deps = dependencies(mergeJob);
    // The urgent extract (group 31's last) is task 0, so group g is tasks 25g+1..25g+25: partitions
    // g and g+1 of 32; group 31 is partitions 31 and 0.
    for (let g = 0; g < 31; g++)
      expect(deps.get(g), `merge ${g}`).toMatch(
        new RegExp(`^afterany:${extractJob}_${g}(\\(\\w+\\))?,afterany:${extractJob}_${g + 1}(\\(\\w+\\))?$`),
      );
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    const all = tasks(plan);
    expect(all.filter((x) => x.state === 'succeeded')).toHaveLength(832);
    const rows = JSON.parse(cli(['tasks', plan, '--json']).stdout) as { id: string; cmd: string }[];
    const cmd = new Map(rows.map((x) => [x.id, x.cmd]));
    // The urgent extract started first of all 800: no task of another partition started before it.
    // (Its own partition's other slots launch with it, and one may be stamped a few ms earlier: a
    // loaded CI run saw 32 ms.)
    const extracts = all.filter((x) => x.stage === 'extract');
    const urgent = extracts.find((x) => cmd.get(x.id) === 'echo extract 31 24')!;
    expect(extracts.indexOf(urgent), 'tasks in plan order, the urgent one first').toBe(0);
    const perPartition = extracts.length / 32;
    const before = extracts.filter(
      (x, i) => i >= perPartition && Date.parse(x.startedAt!) < Date.parse(urgent.startedAt!),
    );
    expect(before.map((x) => x.id)).toEqual([]);
    // Each merge after its own 25 extracts.
    for (const m of all.filter((x) => x.stage === 'merge')) {
      const g = cmd.get(m.id)!.split(' ')[2];
      const mine = extracts.filter((x) => cmd.get(x.id)!.split(' ')[2] === g);
      expect(mine).toHaveLength(25);
      expect(Date.parse(m.startedAt!)).toBeGreaterThanOrEqual(
        Math.max(...mine.map((x) => Date.parse(x.endedAt!))),
      );
    }
  }, 300_000);

  it('batchplan submit: merges start before the slowest extract group ends', async () => {
    // Group g's extracts sleep 3(5-g) s: group 0 takes 15 s, group 5 (the urgent task's) none. With
    // the urgent task first, group g is partitions g and g+1 of 6 (group 5: 5 and 0), so merge 4
    // needs partitions 4 and 5 (group 3's last task and group 4: 6 s), merge 0 waits for 15 s.
    const plan = makePlan('timed', variant('sleep $(( (5 - {{group}}) * 3 ))', 6, 4));
    const sub = submit(plan, 6);
    expect(sub.jobIds, 'one array per stage').toHaveLength(2);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    const all = tasks(plan);
    const lastEnd = Math.max(...all.filter((x) => x.stage === 'extract').map((x) => Date.parse(x.endedAt!)));
    expect(at(all, 'merge.4', 'startedAt'), 'merge 4 before the last group ends').toBeLessThan(lastEnd);
    expect(at(all, 'merge.3', 'startedAt'), 'merge 3 too').toBeLessThan(lastEnd);
    expect(at(all, 'merge.0', 'startedAt'), 'merge 0 after its slow group').toBeGreaterThanOrEqual(lastEnd);
  }, 300_000);

  it('a failed extract blocks only its merge; retry, fix, submit again: done', async () => {
    const flag = join(dir, 'fixed');
    const plan = makePlan('fail', variant(`test {{group}}-{{part}} != 2-1 || test -e ${flag}`, 4, 3));
    submit(plan, 4);
    await waitFor(plan);
    let all = tasks(plan);
    const rows = JSON.parse(cli(['tasks', plan, '--json']).stdout) as { id: string; cmd: string }[];
    const id = (cmd: string) => rows.find((x) => x.cmd.includes(cmd))!.id;
    const state = (taskId: string) => all.find((x) => x.id === taskId)!.state;
    expect(state(id('test 2-1 '))).toBe('failed');
    expect(all.filter((x) => x.stage === 'merge').map((x) => x.state)).toEqual([
      'succeeded',
      'succeeded',
      'blocked',
      'succeeded',
    ]);
    const s = status(plan).stages.find((x) => x.name === 'merge') as { blocked?: number };
    expect(s.blocked).toBe(1);

    writeFileSync(flag, '');
    expect(cli(['retry', plan]).code).toBe(0);
    const again = submit(plan, 4);
    expect(again.jobIds.length).toBeLessThanOrEqual(2);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    all = tasks(plan);
    expect(all.every((x) => x.state === 'succeeded')).toBe(true);
    expect(all.filter((x) => x.attempts !== 1).map((x) => x.id)).toEqual([id('test 2-1 ')]);
  }, 300_000);
});
