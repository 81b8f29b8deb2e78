// Tasks never outlive their supervisor, and no task runs twice at once: a SIGKILLed run-partition
// takes its tasks with it (parent-death signal, both launchers), the next run stops what they left
// (their children) before launching again, and two copies of one partition share the work.
import { spawn } from 'node:child_process';
import { utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, processGone, scratch } from '../helpers.js';
import { writerAlive, listJournals } from '../../src/status/journal-reader.js';
import { journalBase } from '../../src/status/journal-format.js';
import { launcherModes, lines, makePlan, MODES, processesOfPlan, waitFor } from './helpers.js';

const dir = scratch();

describe.each(launcherModes())(
  'SIGKILL of run-partition ($launcher launcher, $mode)',
  ({ launcher, mode, env: modeEnv }) => {
    const env = { BATCHPLAN_LAUNCHER: launcher, ...modeEnv };

    it('kills its tasks with it; the next run stops their children before running them again', async () => {
      const ledger = join(dir, `${launcher}-${mode}.ledger`);
      const release = join(dir, `${launcher}-${mode}.release`);
      const plan = makePlan(dir, `kill-${launcher}-${mode}`, {
        stages: [
          {
            name: 's',
            // bash stays the parent of sleep: the parent-death signal reaches bash, not its child.
            template: `echo "$$ start {{@index}}" >> '${ledger}'; [ -e '${release}' ] || sleep 60; echo "$$ ok {{@index}}" >> '${ledger}'`,
            params: Array.from({ length: 6 }, () => ({})),
          },
        ],
      });
      // In its own process group, and the group is what is killed (as a node's OOM killer or a
      // scheduler's kill of the job step would).
      const run = spawn(
        process.execPath,
        [
          join(import.meta.dirname, '../../bin/batchplan.js'),
          'run-partition',
          plan,
          's',
          '1',
          '0',
          '--nprocs',
          '3',
        ],
        { env: { ...process.env, ...env }, stdio: 'ignore', detached: true },
      );
      await waitFor(() => lines(ledger).length >= 3);
      const shells = lines(ledger).map((l) => Number(l.split(' ')[0]));
      await waitFor(() => processesOfPlan(plan).length >= 6); // 3 shells + 3 sleeps
      process.kill(-run.pid!, 'SIGKILL');
      await waitFor(() => shells.every(processGone), 5000);
      // Their children (sleep) survive the shells: the next run must find and stop them.
      const leftovers = processesOfPlan(plan);
      expect(leftovers.length).toBe(3);

      writeFileSync(release, '');
      const again = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '3', '--json'], { env });
      expect(again.code).toBe(0);
      expect(leftovers.every(processGone)).toBe(true);
      expect(processesOfPlan(plan)).toEqual([]);
      const oks = lines(ledger).filter((l) => l.includes(' ok '));
      expect(oks.length).toBe(6);
    });
  },
);

describe.each(MODES)('two copies of one partition at once ($mode)', ({ mode, env }) => {
  it('share the work: no task runs twice, before or after the other copy recorded its success', async () => {
    const ledger = join(dir, `twin-${mode}.ledger`);
    const plan = makePlan(dir, `twin-${mode}`, {
      stages: [
        {
          name: 's',
          template: `echo "start {{@index}}" >> '${ledger}'; sleep 0.05; echo "ok {{@index}}" >> '${ledger}'`,
          params: Array.from({ length: 60 }, () => ({})),
        },
      ],
    });
    const a = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '3', '--json'], { env });
    const b = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '3', '--json'], { env });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    const starts = lines(ledger).filter((l) => l.startsWith('start'));
    expect(starts.length).toBe(60);
    expect(new Set(starts).size).toBe(60);
    const [ja, jb] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
    expect(ja.succeeded + jb.succeeded).toBe(60);
    // Both did a share (they started together).
    expect(ja.succeeded).toBeGreaterThan(0);
    expect(jb.succeeded).toBeGreaterThan(0);
  });

  it('a copy started while another runs does only what is left', async () => {
    const ledger = join(dir, `late-${mode}.ledger`);
    const plan = makePlan(dir, `late-${mode}`, {
      stages: [
        {
          name: 's',
          template: `echo "start {{@index}}" >> '${ledger}'; sleep 0.1; echo "ok {{@index}}" >> '${ledger}'`,
          params: Array.from({ length: 30 }, () => ({})),
        },
      ],
    });
    const a = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '2', '--json'], { env });
    await waitFor(() => lines(ledger).filter((l) => l.startsWith('ok')).length >= 10);
    const b = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '2', '--json'], { env });
    const ra = await a.done;
    expect(ra.code).toBe(0);
    expect(b.code).toBe(0);
    const starts = lines(ledger).filter((l) => l.startsWith('start'));
    expect(new Set(starts).size).toBe(30);
    expect(starts.length).toBe(30);
    expect(JSON.parse(b.stdout).skipped).toBeGreaterThanOrEqual(10);
  });
});

describe('the writer of a journal on this host', () => {
  it('is alive while its pid lives, however old its heartbeat (a SIGSTOPped run-partition)', async () => {
    const stopped = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    const statusDir = join(dir, 'alive.plan', 'status', 'stage-0');
    mkdirSync(statusDir, { recursive: true });
    const t = Date.now();
    const path = join(statusDir, `${journalBase(0, 1, hostname(), stopped.pid!, t)}.jsonl`);
    writeFileSync(path, '');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(path, old, old);
    const [file] = listJournals(join(dir, 'alive.plan'), 0);
    expect(writerAlive(file!)).toBe(true);
    // The same pid in a journal written long before that process started: a reused pid, not the writer.
    expect(writerAlive({ ...file!, t: t - 3_600_000 })).toBe(false);
    stopped.kill('SIGKILL');
    await waitFor(() => processGone(stopped.pid!));
    expect(writerAlive(file!)).toBe(false);
  });
});

describe('a daemon a task started with setsid', () => {
  it('is stopped with the task when the task times out (found by its environment)', () => {
    const pidFile = join(dir, 'daemon.pid');
    const plan = makePlan(dir, 'daemon', {
      stages: [
        {
          name: 's',
          timeout: '1s',
          tasks: [{ cmd: `setsid sleep 60 < /dev/null > /dev/null 2>&1 & echo $! > '${pidFile}'; sleep 60` }],
        },
      ],
    });
    const r = cli(['run-partition', plan, 's', '1', '0', '--grace', '1']);
    expect(r.code).toBe(1);
    const daemon = Number(lines(pidFile)[0]);
    expect(daemon).toBeGreaterThan(0);
    expect(processGone(daemon)).toBe(true);
  });
});

describe('an old setpriv on PATH (util-linux before 2.33, without --pdeathsig)', () => {
  it('is not used by the spawn launcher: the tasks run, without the parent-death signal', () => {
    const bin = join(dir, 'old-setpriv-bin');
    mkdirSync(bin, { recursive: true });
    // As util-linux 2.23's setpriv answers an option it does not know.
    writeFileSync(
      join(bin, 'setpriv'),
      `#!/bin/sh\ncase "$1" in --pdeathsig) echo "setpriv: unrecognized option '--pdeathsig'" >&2; exit 1;; esac\nexec "$@"\n`,
      { mode: 0o755 },
    );
    const plan = makePlan(dir, 'old-setpriv', {
      stages: [{ name: 's', template: 'echo task {{@index}}', params: [{}, {}, {}] }],
    });
    const r = cli(['run-partition', plan, 's', '1', '0', '--json'], {
      env: { BATCHPLAN_LAUNCHER: 'spawn', PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 3, failed: 0 });
  });
});
