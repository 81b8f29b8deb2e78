// Submit only what is left, on the local Slurm cluster: a stage whose tasks all succeeded is not
// submitted (and its dependants' arrays do not wait on it), a finished plan submits nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-slurm-left-');
const available = slurmUp();

const { makePlan, status, submit, waitFor } = engineHarness('slurm', dir);

const SPEC = `
stages:
  - name: extract
    template: "echo extract {{k}}"
    matrix: {k: {range: [0, 6]}}
  - name: merge
    after: [extract]
    template: "echo merge {{k}}"
    matrix: {k: {range: [0, 4]}}
`;

const dependency = (jobId: string) =>
  /Dependency=(\S+)/.exec(
    spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' }).stdout,
  )?.[1];

describe.runIf(available)('slurm: submit only what is left', () => {
  it('skips a finished stage, then says nothing to do on a finished plan', async () => {
    const plan = makePlan('left', SPEC);
    expect(cli(['run-partition', plan, 'extract', '1', '0']).code).toBe(0);
    const sub = submit(plan, 2) as ReturnType<typeof submit> & {
      stages: { name: string }[];
      skipped: string[];
    };
    expect(sub.skipped).toEqual(['extract']);
    expect(sub.stages.map((s) => s.name)).toEqual(['merge']);
    expect(sub.jobIds).toHaveLength(1);
    // Nothing to wait for: the merge array carries no dependency on a stage that was never submitted.
    expect(dependency(sub.jobIds[0]!)).toBe('(null)');
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    expect(status(plan).stages.map((s) => s.succeeded)).toEqual([6, 4]);

    const records = readdirSync(join(plan, 'submissions')).length;
    const again = cli(['submit', plan, '2', '--runner', 'slurm']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing to do: every task of .* has succeeded; nothing was submitted/);
    const json = cli(['submit', plan, '2', '--runner', 'slurm', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ nothingToDo: true, jobIds: [] });
    expect(readdirSync(join(plan, 'submissions'))).toHaveLength(records);

    // A rerun of one merge task: only merge is submitted again.
    expect(cli(['rerun', plan, '--force', '--id', 'merge.2']).code).toBe(0);
    const third = submit(plan, 2) as typeof sub;
    expect(third.skipped).toEqual(['extract']);
    expect(third.jobIds).toHaveLength(1);
    expect((await waitFor(plan)).code).toBe(0);
  }, 120_000);

  it('plan --force over a plan with queued or running jobs is refused, naming them; after cancel it works', async () => {
    const spec = 'stages: [{name: s, template: "sleep 30", matrix: {k: {range: [0, 2]}}}]\n';
    const plan = makePlan('busy', spec);
    const sub = submit(plan, 1);
    const r = cli(['plan', join(dir, 'busy.yaml'), '-o', plan, '--force']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`has jobs queued or running (slurm job ${sub.jobIds[0]})`);
    expect(r.stderr).toMatch(/batchplan cancel .*busy\.plan/);
    // Nothing was replaced: the submission record is still there.
    expect(readdirSync(join(plan, 'submissions'))).toHaveLength(1);
    expect(cli(['cancel', plan]).code).toBe(0);
    await waitFor(plan);
    const again = cli(['plan', join(dir, 'busy.yaml'), '-o', plan, '--force']);
    expect(again.code, again.stderr).toBe(0);
  }, 120_000);
});
