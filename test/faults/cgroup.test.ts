// Per-task cgroups (src/exec/cgroup.ts): a daemon that leaves its task's session, double-forks and
// clears its environment (which the search by environment cannot find) is stopped with its task when
// the task times out or is stopped, and by the next run after a SIGKILLed one; a succeeded task's
// daemon is left running; nothing of batchplan's is left in the cgroup tree after a clean run. Needs
// a writable cgroup v2 tree (root here: the cgroup2 mount); CI requires one.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownCgroupDir, runCgroupDir, TaskCgroups } from '../../src/exec/cgroup.js';
import { cli, cliAsync, launchersToTest, processGone, scratch } from '../helpers.js';
import { lines, makePlan, waitFor } from './helpers.js';

const dir = scratch('batchplan-cgroup-');
const probe = TaskCgroups.open(`probe-${process.pid}`);
probe?.close();
if (!probe && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
  throw new Error(
    `no writable cgroup v2 tree here (own cgroup: ${ownCgroupDir() ?? 'none'}); CI requires one`,
  );
const daemons: number[] = [];
afterAll(() => daemons.forEach((p) => void (processGone(p) || process.kill(p, 'SIGKILL'))));
let seq = 0;

/** A task that starts a daemon with no environment, in its own session, orphaned; then waits. */
function daemonTask(pidFile: string, then = 'sleep 60'): string {
  return `setsid sh -c 'env -i sleep 120 < /dev/null > /dev/null 2>&1 & echo $! > ${pidFile}' & ${then}`;
}
const daemonOf = async (pidFile: string) => {
  await waitFor(() => lines(pidFile).length > 0);
  const pid = Number(lines(pidFile)[0]);
  daemons.push(pid);
  return pid;
};
/** The cgroup trees of the plan's runs that are still there (other tests' runs are not looked at). */
const ours = (plan: string) => {
  const runs = readdirSync(join(plan, 'status', 'stage-0'))
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length));
  return runs.map((r) => runCgroupDir(r)!).filter((d) => existsSync(d));
};

describe.skipIf(!probe).each(launchersToTest())(
  'a daemon that cleared its environment (%s launcher)',
  (launcher) => {
    const env = { BATCHPLAN_LAUNCHER: launcher };

    it('is stopped with its task when the task times out', async () => {
      const pidFile = join(dir, `d${seq++}.pid`);
      const plan = makePlan(dir, `timeout-${launcher}`, {
        stages: [{ name: 's', timeout: '2s', tasks: [{ cmd: daemonTask(pidFile) }] }],
      });
      const r = cli(['run-partition', plan, 's', '1', '0', '--grace', '1'], { env });
      expect(r.code).toBe(1);
      const daemon = await daemonOf(pidFile);
      expect(processGone(daemon)).toBe(true);
      expect(ours(plan)).toEqual([]);
    });

    it('survives the timeout without cgroups (BATCHPLAN_CGROUP=0): what cgroups add', async () => {
      const pidFile = join(dir, `d${seq++}.pid`);
      const plan = makePlan(dir, `nocg-${launcher}`, {
        stages: [{ name: 's', timeout: '2s', tasks: [{ cmd: daemonTask(pidFile) }] }],
      });
      const r = cli(['run-partition', plan, 's', '1', '0', '--grace', '1'], {
        env: { ...env, BATCHPLAN_CGROUP: '0' },
      });
      expect(r.code).toBe(1);
      const daemon = await daemonOf(pidFile);
      expect(processGone(daemon)).toBe(false);
      process.kill(daemon, 'SIGKILL');
    });

    it('is stopped with its task when run-partition is stopped (SIGTERM)', async () => {
      const pidFile = join(dir, `d${seq++}.pid`);
      const plan = makePlan(dir, `stop-${launcher}`, {
        stages: [{ name: 's', tasks: [{ cmd: daemonTask(pidFile) }] }],
      });
      const run = cliAsync(['run-partition', plan, 's', '1', '0', '--grace', '1'], { env });
      const daemon = await daemonOf(pidFile);
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(143);
      expect(processGone(daemon)).toBe(true);
    });

    it('left by a SIGKILLed run-partition is stopped by the next run of the partition', async () => {
      const pidFile = join(dir, `d${seq++}.pid`);
      const plan = makePlan(dir, `dead-${launcher}`, {
        stages: [{ name: 's', tasks: [{ cmd: `[ -e ${pidFile} ] && exit 0; ${daemonTask(pidFile)}` }] }],
      });
      const run = cliAsync(['run-partition', plan, 's', '1', '0'], { env });
      const daemon = await daemonOf(pidFile);
      run.child.kill('SIGKILL');
      await run.done;
      expect(processGone(daemon)).toBe(false); // nothing else could have stopped it
      const next = cli(['run-partition', plan, 's', '1', '0', '--grace', '1'], { env });
      expect(next.code).toBe(0);
      expect(processGone(daemon)).toBe(true);
      expect(ours(plan)).toEqual([]);
    });

    it('of a task that succeeded is left running, as the task meant', async () => {
      const pidFile = join(dir, `d${seq++}.pid`);
      const plan = makePlan(dir, `ok-${launcher}`, {
        stages: [
          {
            name: 's',
            tasks: [{ cmd: daemonTask(pidFile, `while [ ! -s ${pidFile} ]; do sleep 0.05; done`) }],
          },
        ],
      });
      expect(cli(['run-partition', plan, 's', '1', '0'], { env }).code).toBe(0);
      const daemon = await daemonOf(pidFile);
      expect(processGone(daemon)).toBe(false);
      process.kill(daemon, 'SIGKILL');
      await waitFor(() => processGone(daemon));
      expect(existsSync(pidFile)).toBe(true);
    });
  },
);
