// The qdo example end to end with `batchplan run`: 32 groups × 25 extracts, one merge per group that
// needs only its own group, one urgent extract. Checked from the journals' start and end times:
// every merge after exactly its group, merges starting before the slowest group ends (groups take
// different times), the urgent task first; then a failure, its dependant blocked (not failed),
// `retry`, and a second run that runs only what was left.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineTask } from '../engine-harness.js';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-qdo-');
const QDO = join(FIXTURES, 'examples', 'qdo.yaml');

type Row = EngineTask & { cmd: string };

function rows(plan: string): Row[] {
  const r = cli(['tasks', plan, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

const t = (s: string | null) => Date.parse(s!);

/** The qdo fixture with other commands (and optionally fewer groups/parts). */
function variant(extract: string, merge: string, groups = 32, parts = 25): string {
  const text = readFileSync(QDO, 'utf8')
    .replace('echo extract {{group}} {{part}}', extract)
    .replace('echo merge {{group}}', merge)
    .replaceAll('range: [0, 32]', `range: [0, ${groups}]`)
    .replace('range: [0, 25]', `range: [0, ${parts}]`)
    .replace('(eq group 31)', `(eq group ${groups - 1})`)
    .replace('(eq part 24)', `(eq part ${parts - 1})`);
  const file = join(dir, `qdo-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('the qdo example with batchplan run', () => {
  it('runs all 832 tasks; each merge after its own 25 extracts; the urgent extract first', () => {
    const plan = join(dir, 'qdo.plan');
    const r = cli(['run', QDO, '-o', plan, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).overall).toMatchObject({ total: 832, succeeded: 832 });
    const all = rows(plan);
    const extracts = all.filter((x) => x.stage === 'extract');
    const urgent = extracts.find((x) => x.cmd === 'echo extract 31 24')!;
    expect(t(urgent.startedAt)).toBe(Math.min(...extracts.map((x) => t(x.startedAt))));
    for (const m of all.filter((x) => x.stage === 'merge')) {
      const g = m.cmd.split(' ')[2];
      const group = extracts.filter((x) => x.cmd.split(' ')[2] === g);
      expect(group).toHaveLength(25);
      expect(t(m.startedAt), m.id).toBeGreaterThanOrEqual(Math.max(...group.map((x) => t(x.endedAt))));
    }
  });

  it('a merge starts as soon as its group is done, before the slowest group ends', () => {
    // Group g's extracts sleep 0.1·g s (group 5: 0.5 s each); 6 groups × 4 parts, 4 slots.
    const spec = variant('sleep 0.{{group}}', 'echo merge {{group}}', 6, 4);
    const plan = join(dir, 'timed.plan');
    const r = cli(['run', spec, '-o', plan]);
    expect(r.code, r.stderr).toBe(0);
    const all = rows(plan);
    const extracts = all.filter((x) => x.stage === 'extract');
    const lastEnd = Math.max(...extracts.map((x) => t(x.endedAt)));
    const merge0 = all.find((x) => x.cmd === 'echo merge 0')!;
    expect(t(merge0.startedAt), 'merge 0 starts before the last extract group ends').toBeLessThan(lastEnd);
    const early = all.filter((x) => x.stage === 'merge' && t(x.startedAt) < lastEnd);
    expect(early.length, 'merges started before the last extract ended').toBeGreaterThanOrEqual(3);
  });

  it('a failed extract blocks only its merge; retry, fix, run again: only what was left runs', () => {
    const flag = join(dir, 'fixed');
    // extract 5 3 fails until the flag file exists.
    const spec = variant(`test {{group}}-{{part}} != 5-3 || test -e ${flag}`, 'echo merge {{group}}', 8, 5);
    const plan = join(dir, 'fail.plan');
    const first = cli(['run', spec, '-o', plan]);
    expect(first.code).toBe(1);
    let all = rows(plan);
    const state = (cmd: string) => all.find((x) => x.cmd.includes(cmd))!;
    expect(state('test 5-3 ').state).toBe('failed');
    const merges = all.filter((x) => x.stage === 'merge');
    expect(merges.filter((x) => x.state === 'blocked').map((x) => x.cmd)).toEqual(['echo merge 5']);
    expect(merges.filter((x) => x.state === 'succeeded')).toHaveLength(7);
    const status = cli(['status', plan]).stdout;
    expect(status).toContain('1 failed, 1 blocked');

    writeFileSync(flag, '');
    expect(cli(['retry', plan]).code).toBe(0);
    const second = cli(['run', plan]);
    expect(second.code, second.stderr).toBe(0);
    all = rows(plan);
    expect(all.every((x) => x.state === 'succeeded')).toBe(true);
    // Attempts: the failed extract ran twice, its merge once (the blocked record is not an attempt),
    // everything else once.
    expect(state('test 5-3 ').attempts).toBe(2);
    expect(all.filter((x) => x.attempts !== 1).map((x) => x.cmd)).toEqual([state('test 5-3 ').cmd]);
  });
});
