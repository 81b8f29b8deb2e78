// Scattered partitions left, on the local Slurm cluster: after extract groups 1, 5 and 6 failed (and
// their merges were blocked), `retry` and a resubmission submit ONE array per stage with an index list
// (`--array=0,4-5`, offset 1: partitions 1, 5, 6), not three, and each merge element waits for
// exactly its own extract element (scontrol shows afterany:<extract>_<e>).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-deps-index-list-');
const available = slurmUp();
const { makePlan, status, submit, waitFor, tasks } = engineHarness('slurm', dir);

// 8 groups of 2 extracts: with N=8, group g is extract partition g and merge g is merge partition g.
// Until `fixed` exists, groups 1, 5 and 6 fail; then they take 4 s (time to read the dependencies).
const spec = (fixed: string) => `
stages:
  - name: extract
    template: 'if test -e ${fixed}; then sleep 4; else case {{group}} in 1|5|6) exit 3;; esac; fi'
    matrix: {group: {range: [0, 8]}, part: {range: [0, 2]}}
  - name: merge
    template: 'echo merge {{group}}'
    matrix: {group: {range: [0, 8]}}
    requires: [{stage: extract, match: {group: '{{group}}'}}]
`;

const newestRecord = (plan: string) => {
  const names = readdirSync(join(plan, 'submissions')).sort();
  return JSON.parse(readFileSync(join(plan, 'submissions', names.at(-1)!), 'utf8')) as {
    arrays: { stage: number; offset: number; size: number }[];
    jobIds: string[];
  };
};

/** Per array element (ArrayTaskId), its Dependency field; pending elements listed together expanded. */
function elements(jobId: string): Map<number, string> {
  const out = spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' }).stdout;
  const deps = new Map<number, string>();
  for (const line of out.split('\n')) {
    const ids = /ArrayTaskId=(\S+)/.exec(line)?.[1];
    const dep = /Dependency=(\S+)/.exec(line)?.[1] ?? '';
    for (const part of ids?.split(',') ?? []) {
      const [a, b = a] = part.replace(/%\d+$/, '').split('-').map(Number);
      for (let i = a!; i <= b!; i++) deps.set(i, dep);
    }
  }
  return deps;
}

describe.runIf(available)('slurm: the scattered partitions left are one array per stage', () => {
  it('retry of groups 1, 5, 6: one extract array --array=0,4-5 and one merge array, per element deps', async () => {
    const fixed = join(dir, 'fixed');
    const plan = makePlan('scattered', spec(fixed));
    expect(submit(plan, 8).jobIds).toHaveLength(2);
    expect((await waitFor(plan)).code).not.toBe(0);
    expect(status(plan).stages.map((s) => [s.succeeded, s.failed])).toEqual([
      [10, 6],
      [5, 0],
    ]);

    writeFileSync(fixed, '');
    expect(cli(['retry', plan]).code).toBe(0);
    // submit.sh says the same: one sbatch per stage, with the index list.
    const out = join(dir, 'scripts');
    expect(cli(['generate-script', plan, '8', '--runner', 'slurm', '-o', out]).code).toBe(0);
    const sh = readFileSync(join(out, 'submit.sh'), 'utf8');
    const sbatch = sh.match(/^out=\$\(sbatch .*$/gm)!;
    expect(sbatch).toHaveLength(2);
    for (const line of sbatch) {
      expect(line).toContain(' --array=0,4-5 ');
      expect(line).toContain('BATCHPLAN_ARRAY_OFFSET=1');
    }
    expect(sh).toContain('# Stage 1/2: extract, partitions 1, 5..6 (array)');

    const again = submit(plan, 8) as ReturnType<typeof submit> & {
      stages: { name: string; submitted: number }[];
    };
    expect(again.stages.map((s) => [s.name, s.submitted])).toEqual([
      ['extract', 3],
      ['merge', 3],
    ]);
    const rec = newestRecord(plan);
    expect(rec.arrays).toEqual([
      { stage: 0, offset: 1, size: 6 },
      { stage: 1, offset: 1, size: 6 },
    ]);
    const [extractJob, mergeJob] = rec.jobIds as [string, string];
    // Counted in Slurm: 2 arrays of 3 elements each, indices 0, 4, 5.
    expect([...elements(extractJob).keys()].sort((a, b) => a - b)).toEqual([0, 4, 5]);
    const merge = elements(mergeJob);
    expect([...merge.keys()].sort((a, b) => a - b)).toEqual([0, 4, 5]);
    for (const e of [0, 4, 5])
      expect(merge.get(e), `merge element ${e}`).toMatch(
        new RegExp(`^afterany:${extractJob}_${e}(\\(\\w+\\))?$`),
      );

    const w = await waitFor(plan);
    expect(w.code, w.stderr).toBe(0);
    const all = tasks(plan);
    expect(all.filter((t) => t.state === 'succeeded')).toHaveLength(24);
    // Only groups 1, 5, 6 ran again; each merge after its own group's extracts.
    expect(all.filter((t) => t.stage === 'extract').map((t) => t.attempts)).toEqual([
      1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1,
    ]);
    for (const g of [1, 5, 6]) {
      const mergeStart = Date.parse(all.find((t) => t.id === `merge.${g}`)!.startedAt!);
      for (const p of [0, 1])
        expect(mergeStart).toBeGreaterThanOrEqual(
          Date.parse(all.find((t) => t.id === `extract.${2 * g + p}`)!.endedAt!),
        );
    }
  }, 240_000);
});
