// The local runners' scripts with task-level dependencies: the stages a stage needs task by task
// run in one list of partitions, each right after the last partition it needs, instead of behind
// the whole stage. Measured from the journals' start times with uneven groups (group g's extracts
// take longer the lower g is): a merge starts before the slowest group's extracts end (GNU
// parallel) or before the last extract partition starts (one after another); each merge still
// after its own group. A failed extract blocks only its merge; stage names stay one word.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineTask } from '../engine-harness.js';
import { cli, engineAvailable, scratch, type CliResult } from '../helpers.js';

const dir = scratch('batchplan-deps-scripts-');

const RUNNERS = [
  { name: 'sequential', available: true },
  { name: 'gnu-parallel', available: engineAvailable('parallel') },
] as const;

// A stage name that is shell code and GNU parallel replacement strings: it must reach run-partition intact.
const MERGE = "merge's {} {1} $(touch pwned)";

/** 4 groups of 3 extracts, a merge per group requiring its group; 4 partitions each (groups aligned). */
const spec = (extract: string) => `
defaults: {nprocs: 3}
stages:
  - name: extract
    template: "${extract} && echo extract {{group}} {{part}}"
    matrix:
      group: {range: [0, 4]}
      part: {range: [0, 3]}
  - name: "${MERGE}"
    template: "echo merge {{group}}"
    matrix:
      group: {range: [0, 4]}
    requires:
      - {stage: extract, match: {group: "{{group}}"}}
`;

type Row = EngineTask & { cmd: string };

function makePlan(name: string, yaml: string): string {
  writeFileSync(join(dir, `${name}.yaml`), yaml);
  const plan = join(dir, `${name}.plan`);
  const r = cli(['plan', join(dir, `${name}.yaml`), '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return plan;
}

/** generate-script into a file, then `bash` it, awaited (it runs for seconds). */
function runScript(plan: string, runner: string): Promise<CliResult> {
  const out = join(dir, `${runner}-${readdirSync(dir).length}.sh`);
  const g = cli(['generate-script', plan, '4', '--runner', runner, '-o', out]);
  expect(g.code, g.stderr).toBe(0);
  const child = spawn('bash', [out], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

function rows(plan: string): Row[] {
  const r = cli(['tasks', plan, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

const ms = (t: Row, key: 'startedAt' | 'endedAt') => Date.parse(t[key]!);
const groupOf = (t: Row) => /(?:extract|merge) (\d+)/.exec(t.cmd)![1];

describe.each(RUNNERS)('$name: partitions needed task by task', ({ name, available }) => {
  it.runIf(available)(
    'a merge starts once its own group is done, before the slowest group',
    async () => {
      // Group g's extracts sleep (3 - g)·s: group 0 is the slowest, group 3 takes no time.
      const sleep =
        name === 'sequential' ? 'sleep 0.$(( 3 - {{group}} ))' : 'sleep $(( (3 - {{group}}) * 3 ))';
      const plan = makePlan(`timed-${name}`, spec(sleep));
      const r = await runScript(plan, name);
      expect(r.code, r.stderr).toBe(0);
      const all = rows(plan);
      expect(all.filter((x) => x.state === 'succeeded')).toHaveLength(16);
      const extracts = all.filter((x) => x.stage === 'extract');
      const merges = all.filter((x) => x.stage === MERGE);
      for (const m of merges) {
        const mine = extracts.filter((x) => groupOf(x) === groupOf(m));
        expect(mine).toHaveLength(3);
        expect(ms(m, 'startedAt'), m.cmd).toBeGreaterThanOrEqual(
          Math.max(...mine.map((x) => ms(x, 'endedAt'))),
        );
      }
      const lastEnd = Math.max(...extracts.map((x) => ms(x, 'endedAt')));
      const lastStart = Math.max(...extracts.map((x) => ms(x, 'startedAt')));
      const merge = (g: string) => merges.find((m) => groupOf(m) === g)!;
      if (name === 'sequential') {
        // One partition at a time: merge 0 runs right after group 0, before groups 1-3 start.
        expect(ms(merge('0'), 'startedAt'), 'merge 0 before the last extract partition starts').toBeLessThan(
          lastStart,
        );
      } else {
        // All at once: merge 3 (its group takes no time) starts long before group 0 (9 s) ends.
        expect(ms(merge('3'), 'startedAt'), 'merge 3 before the slowest group ends').toBeLessThan(lastEnd);
        expect(ms(merge('2'), 'startedAt'), 'merge 2 too').toBeLessThan(lastEnd);
      }
      expect(readdirSync(dir).filter((f) => f.includes('pwned'))).toEqual([]);
    },
    120_000,
  );

  it.runIf(available)(
    'a failed extract blocks only its merge; the script exits 1',
    async () => {
      const plan = makePlan(`fail-${name}`, spec('test {{group}}-{{part}} != 1-2'));
      const r = await runScript(plan, name);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/have failed or blocked/);
      const all = rows(plan);
      expect(all.filter((x) => x.state === 'failed').map((x) => x.cmd)).toEqual([
        'test 1-2 != 1-2 && echo extract 1 2',
      ]);
      expect(
        all
          .filter((x) => x.stage === MERGE)
          .map((x) => `${groupOf(x)} ${x.state}`)
          .sort(),
      ).toEqual(['0 succeeded', '1 blocked', '2 succeeded', '3 succeeded']);
    },
    120_000,
  );
});
