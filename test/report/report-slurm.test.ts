// The report's scheduler section against the real local Slurm cluster: a plan whose first stage
// fails, so Slurm cancels the dependent array; the page lists every partition's job with Slurm's
// own state and reason, problems first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cliAwait, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-report-slurm-');

const { makePlan, submit, waitFor } = engineHarness('slurm', dir);

describe.runIf(slurmUp())('report of a Slurm submission', () => {
  it('lists the jobs per partition with Slurm’s states and reasons, problems first', async () => {
    const plan = makePlan(
      'jobs',
      `
stages:
  - name: a
    template: "[ {{k}} -ne 1 ]"
    matrix: {k: {range: [0, 4]}}
  - name: b
    after: [a]
    template: "true {{k}}"
    matrix: {k: {range: [0, 4]}}
`,
    );
    const sub = submit(plan, 2, '--time', '5');
    expect((await waitFor(plan)).code).toBe(1);
    const r = await cliAwait(['report', plan, '-o', join(dir, 'jobs.html')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'jobs.html'), 'utf8');
    const jobs = html.slice(html.indexOf('<div id="jobs">'));
    for (const id of sub.jobIds) expect(jobs).toContain(id);
    const rows = [
      ...jobs.matchAll(
        /<tr><td><code>(\d+)<\/code><\/td><td>(\w+)<\/td><td class="n">(\d)<\/td><td>(\w+)<\/td><td>(\w+)<\/td><td>(\w*)<\/td>/g,
      ),
    ].map((m) => m.slice(2, 7));
    // Problems first: a's partition 0 (task a.1 failed) and b's two partitions, which Slurm cancelled
    // on their failed dependency; then a's partition that completed.
    expect(rows).toEqual([
      ['a', '0', 'failed', 'FAILED', 'NonZeroExitCode'],
      ['b', '0', 'failed', 'CANCELLED', 'DependencyNeverSatisfied'],
      ['b', '1', 'failed', 'CANCELLED', 'DependencyNeverSatisfied'],
      ['a', '1', 'completed', 'COMPLETED', ''],
    ]);
    expect(jobs).toMatch(/<span data-count="failed">3 failed<\/span>/);
    // The failures table names the failed task.
    expect(html).toMatch(/<td><code>a\.1<\/code><\/td><td>a<\/td><td>failed<\/td><td class="n">1<\/td>/);
  }, 120_000);
});
