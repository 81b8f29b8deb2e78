// On the real Grid Engine cell (scripts/sge/up.sh): a partition no queue can ever take (-pe smp 99 on
// a cell of 8 slots, from --cpus-per-task 99) and a task in error state (Eqw: Grid Engine cannot open
// its output file) show Grid Engine's reason in status, and wait stops with E_JOBS_STUCK saying what
// to do; a throttled array's waiting tasks do not stop it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../engine-harness.js';
import { cli, cliAwait, scratch } from '../helpers.js';

const dir = scratch('batchplan-stuck-sge-');

function cellUp(): boolean {
  const r = spawnSync('qstat', ['-f', '-q', 'all.q'], { encoding: 'utf8' });
  const ok = r.status === 0 && /^all\.q@/m.test(r.stdout);
  if (!ok && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error('the Grid Engine cell is not running; start it with scripts/sge/up.sh');
  return ok;
}

/** status, once Grid Engine has given `what` (its scheduler runs every few seconds). */
async function statusSaying(plan: string, what: string): Promise<string> {
  let out = '';
  for (let i = 0; i < 40 && !out.includes(what); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    out = cli(['status', plan]).stdout;
  }
  return out;
}

describe.runIf(cellUp())('pending reasons on Grid Engine', () => {
  const { makePlan, submit } = engineHarness('sge', dir);

  it('no suitable queue: status names it, wait exits 23, the jobs stay queued', async () => {
    const plan = makePlan(
      'big',
      'stages:\n  - {name: big, template: "true {{k}}", matrix: {k: {range: [0, 2]}}}\n',
    );
    const { jobIds } = submit(plan, 2, '--cpus-per-task', '99');
    try {
      const status = await statusSaying(plan, 'no suitable queue');
      expect(status).toContain(
        '    2 partitions queued (no suitable queue (cannot run in PE "smp" because it only offers 0 slots), which does not clear by waiting: no queue of the cell can take the job even when it is empty (qalter -w v)',
      );
      const r = await cliAwait(['wait', plan, '--interval', '1']);
      expect(r.code, r.stderr).toBe(23);
      expect(r.stderr).toContain(
        `batchplan: error [E_JOBS_STUCK]: 2 partitions of stage big (job ${jobIds[0]}) are qw with reason no suitable queue`,
      );
      expect(r.stderr).toContain('submit again asking for what a queue offers (qconf -sq all.q');
      expect(JSON.parse(cli(['status', plan, '--json']).stdout).stages[0].queued).toBe(2);
    } finally {
      cli(['cancel', plan]);
    }
  }, 120_000);

  it('an error-state task: its error in status, wait exits 23 pointing at qmod -cj; a throttled array waits on', async () => {
    const plan = makePlan('eqw', 'stages:\n  - {name: s, tasks: [{cmd: "true"}]}\n');
    const slow = makePlan(
      'slow',
      'stages:\n  - {name: s, template: "sleep 3 # {{k}}", matrix: {k: {range: [0, 3]}}}\n',
    );
    // An output file in a directory that does not exist: Grid Engine cannot start the task.
    const { jobIds } = submit(plan, 1, '--qsub-arg', '-o', '--qsub-arg', '/nonexistent/dir/out');
    submit(slow, 3, '--max-running', '1');
    try {
      const status = await statusSaying(plan, 'error state');
      expect(status).toContain(
        `    1 partition queued (error state: error: can't open output file "/nonexistent/dir/out": No such file or directory, which does not clear by waiting: Grid Engine put the task in error state`,
      );
      const r = await cliAwait(['wait', plan, '--interval', '1']);
      expect(r.code, r.stderr).toBe(23);
      expect(r.stderr).toContain(`partition 0 of stage s (job ${jobIds[0]}) is Eqw with reason error state`);
      expect(r.stderr).toContain(`clear it with qmod -cj ${jobIds[0]}, or cancel the jobs (batchplan cancel`);
      // Throttled (-tc 1): its tasks wait with a reason that clears, and wait sees them through.
      const w = await cliAwait(['wait', slow, '--interval', '1', '--timeout', '100']);
      expect(w.code, w.stderr).toBe(0);
    } finally {
      cli(['cancel', plan]);
      cli(['cancel', slow]);
    }
  }, 180_000);
});
