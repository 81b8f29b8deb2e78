// `batchplan wait` on the real local Slurm cluster, as a person sees it: a first stage with a failed
// task, so Slurm cancels the dependent array. Under a pseudo-terminal the screen it leaves is the
// recorded one (clocks, path and job id masked); in a log it writes key=value lines; the progress
// never lists job ids.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPlan } from '../../src/api/plan.js';
import { engineHarness } from '../engine-harness.js';
import { BIN, cliAwait, engineAvailable, scratch, slurmUp } from '../helpers.js';
import { Screen } from './screen.js';

const dir = scratch('batchplan-wait-');
const { makePlan, submit } = engineHarness('slurm', dir);

const SPEC = `
stages:
  - name: a
    template: "sleep 1; [ {{k}} -ne 1 ]"
    matrix: {k: {range: [0, 8]}}
  - name: b
    after: [a]
    template: "true {{k}}"
    matrix: {k: {range: [0, 4]}}
`;

const mask = (text: string, plan: string) =>
  text
    .replaceAll(plan, '<plan>')
    .replace(/elapsed \d+[hms\d]*/g, 'elapsed <t>')
    .replace(/\(job \d+\)/g, '(job <id>)')
    .replace(/,? ETA \d+[hms\d]*/g, '');

describe.runIf(slurmUp() && engineAvailable('script'))('wait on Slurm', () => {
  it('leaves the recorded screen on a terminal: blocks in place, "not run: a failed", the next command', async () => {
    const plan = makePlan('tty', SPEC);
    const { jobIds } = submit(plan, 4, '--time', '5');
    const cmd = `stty cols 80 rows 50; '${process.execPath}' '${BIN}' wait '${plan}' --interval 1`;
    const r = await new Promise<string>((res) => {
      const out = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
      res(out.stdout.replace(/\r\n/g, '\n'));
    });
    // No job-id list: an id appears only on the status line of the one partition that failed.
    for (const id of jobIds) expect(r.split(id).length - 1).toBeLessThanOrEqual(1);
    const got = mask(new Screen(80).write(r).lines().join('\n').trimEnd(), plan);
    const file = join(import.meta.dirname, 'expected', 'wait-slurm-80.txt');
    if (process.env.BATCHPLAN_RECORD === '1') writeFileSync(file, got + '\n');
    expect(got).toBe(readFileSync(file, 'utf8').trimEnd());
  }, 120_000);

  it('writes greppable lines in a log, never job ids', async () => {
    const plan = makePlan('log', SPEC);
    const { jobIds } = submit(plan, 4, '--time', '5');
    const r = await cliAwait(['wait', plan, '--interval', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(
      /^batchplan: progress elapsed=\S+ succeeded=7 failed=1 running=0 queued=0 left=4 stage.a=8\/8 stage.b=not-run$/,
    );
    expect(lines.at(-1)).toBe(`next: batchplan tasks ${plan} --state failed --tail 3`);
    for (const id of jobIds) expect(r.stderr).not.toContain(id);
    expect(r.stdout).toContain('    not run: a failed (4 partitions cancelled by the scheduler)\n');
  }, 120_000);

  it('submit --wait submits, then waits the same way (exit 1: a task failed)', async () => {
    const plan = makePlan('submit-wait', SPEC);
    const r = await cliAwait(
      ['submit', plan, '4', '--runner', 'slurm', '--time', '5', '--wait', '--interval', '1'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^batchplan: submitted 2 job\(s\)/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `next: batchplan tasks ${plan} --state failed --tail 3`,
    );
    expect(r.stdout).toMatch(/^overall: 7\/12 succeeded \(58\.3%\), 4 pending, 1 failed$/m);
  }, 120_000);

  it('tasks --state queued (and the API’s tasks) list the tasks of partitions Slurm still holds, as status counts them', async () => {
    const plan = makePlan('queued', SPEC);
    submit(plan, 4, '--time', '5');
    // Stage b waits on a's jobs in Slurm's queue: all of its tasks are queued.
    const [r, api, apiAll] = await Promise.all([
      cliAwait(['tasks', plan, '--state', 'queued', '--stage', 'b', '--json'], { cwd: dir }),
      openPlan(plan).tasks({ state: 'queued', stage: 'b' }),
      openPlan(plan).tasks({ stage: 'b' }),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; state: string }[];
    const queued = [0, 1, 2, 3].map((k) => [`b.${k}`, 'queued']);
    expect(rows.map((t) => [t.id, t.state])).toEqual(queued);
    expect(api.map((t) => [t.id, t.state])).toEqual(queued);
    expect(apiAll.map((t) => [t.id, t.state])).toEqual(queued);
    await cliAwait(['wait', plan, '--interval', '1'], { cwd: dir });
  }, 120_000);
});
