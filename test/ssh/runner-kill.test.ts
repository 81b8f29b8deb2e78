// Kill safety of --runner ssh's local side, against the project's sshd: SIGTERM of run-hosts,
// SIGKILL of the script (run-hosts watches its pid), SIGKILL of run-hosts itself (the remote
// shells watch their stdin, the connection). Each time every partition, remote and local (`:`),
// stops and records its tasks interrupted (resumable), and no process is left on either side
// (found by pid in /proc: the plan path there, the run's own environment mark here).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch } from '../helpers.js';
import {
  count,
  findProcess,
  leftovers,
  makePlan,
  runScript,
  script,
  sshConfig,
  tasksOf,
  until,
} from './runner-helpers.js';
import { sshdUp } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-kill-');
chmodSync(dir, 0o755);

/** A plan of three long tasks on hosts a, b and here, running, and the run-hosts process. */
async function started(name: string, client = 'ssh2') {
  const out = join(dir, `started-${name}`);
  mkdirSync(out);
  const flag = join(dir, `quick-${name}`);
  const plan = await makePlan(dir, 3, `touch ${out}/{{i}}.started; test -e ${flag} || sleep 60`);
  const run = runScript(await script(plan, 3, '1/a,1/b,:', client), sshConfig(dir, name));
  await until(() => count(out, '.started') === 3, 60_000, 'the three tasks did not start');
  const runHosts = findProcess('run-hosts', plan);
  expect(runHosts).toBeDefined();
  /** Every process gone, then every task of the first stage interrupted; a rerun finishes. */
  const check = async () => {
    await until(() => leftovers(plan, run.mark).length === 0, 30_000, 'processes left').catch(() =>
      expect(leftovers(plan, run.mark)).toEqual([]),
    );
    const tasks = await tasksOf(plan);
    expect(tasks.filter((t) => t.id !== 'last').map((t) => t.state)).toEqual(Array(3).fill('interrupted'));
    writeFileSync(flag, '');
    const again = await runScript(await script(plan, 3, '1/a,1/b,:', client), sshConfig(dir, name)).done;
    expect(again.code, again.stderr).toBe(0);
    expect((await tasksOf(plan)).every((t) => t.state === 'succeeded')).toBe(true);
  };
  return { plan, run, runHosts: runHosts!, check };
}

describe.runIf(up)('--runner ssh: killing the local side', () => {
  it('SIGTERM of run-hosts stops every partition; the script exits 143', async () => {
    const { run, runHosts, check } = await started('term');
    process.kill(runHosts, 'SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain("SIGTERM: stopping 3 partition(s) of stage 'work'");
    await check();
  });

  it('SIGKILL of the script: run-hosts sees it gone and stops every partition', async () => {
    const { plan, run, check } = await started('kill-script');
    run.child.kill('SIGKILL');
    // The test's pipes stay open while run-hosts (which holds them too) runs: done = run-hosts ended.
    await run.done;
    expect(findProcess('run-hosts', plan)).toBeUndefined();
    expect(run.output().stderr).toMatch(
      new RegExp(`the script that started run-hosts \\(pid ${run.child.pid}\\) ended: stopping 3 partition`),
    );
    await check();
  });

  it.each(['ssh2', 'openssh'])(
    'SIGKILL of run-hosts (%s): the remote run-partitions see their connection end and stop',
    async (client) => {
      const { run, runHosts, check } = await started(`kill-hosts-${client}`, client);
      process.kill(runHosts, 'SIGKILL');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(137);
      await check();
    },
  );
});
