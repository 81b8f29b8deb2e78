// One attempt of a task, over either launcher: stop() ends it as interrupted (SIGKILL after the grace
// period for a task that ignores SIGTERM), a timeout fails it as timed out. What the launchers
// themselves guarantee is in launcher.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAttempt, type AttemptSpec } from '../../src/exec/attempt.js';
import { openLauncher } from '../../src/exec/open-launcher.js';
import { launchersToTest, processGone, scratch } from '../helpers.js';

const dir = scratch();
const base: AttemptSpec = {
  cmd: 'true',
  shell: '/bin/sh',
  env: { PATH: process.env.PATH },
  grace: 1,
  logLimit: 1 << 20,
};

async function firstLine(file: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = readFileSync(file, { encoding: 'utf8', flag: 'a+' });
    if (text.includes('\n')) return text.split('\n')[0]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing written to ${file}`);
}

describe.each(launchersToTest())('an attempt (launcher %s)', (name) => {
  const launcher = openLauncher({ BATCHPLAN_LAUNCHER: name });
  const start = (spec: Partial<AttemptSpec>) => startAttempt(launcher, { ...base, ...spec });

  it('succeeds on exit 0 and fails otherwise', async () => {
    expect((await start({}).done).state).toBe('succeeded');
    expect(await start({ cmd: 'exit 3' }).done).toMatchObject({
      state: 'failed',
      exitCode: 3,
      timedOut: false,
    });
  });

  it('stop() ends the task and its children, as interrupted', async () => {
    const pids = join(dir, `pids-${name}`);
    const a = start({ cmd: `sleep 60 & echo $! > ${pids}; wait` });
    const sleepPid = Number(await firstLine(pids));
    a.stop();
    expect(await a.done).toMatchObject({ state: 'interrupted', exitCode: null, signal: 'SIGTERM' });
    await new Promise((r) => setTimeout(r, 100));
    expect(processGone(sleepPid)).toBe(true);
  });

  it('a task that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const ready = join(dir, `trap-ready-${name}`);
    const a = start({ cmd: `trap '' TERM; echo up > ${ready}; while :; do sleep 0.1; done`, grace: 0.5 });
    await firstLine(ready);
    const t0 = Date.now();
    a.stop();
    expect(await a.done).toMatchObject({ state: 'interrupted', signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  it('a timeout fails the attempt, marked as timed out', async () => {
    expect(await start({ cmd: 'sleep 30', timeout: 0.3 }).done).toMatchObject({
      state: 'failed',
      timedOut: true,
      signal: 'SIGTERM',
    });
  });

  it('killed by a signal just before run-partition is told to stop (a scancel): interrupted, not failed', async () => {
    for (const stopAfter of [50, undefined]) {
      const pids = join(dir, `settle-${name}-${stopAfter}`);
      const a = start({ cmd: `echo $$ > ${pids}; sleep 30` });
      process.kill(-Number(await firstLine(pids)), 'SIGTERM');
      if (stopAfter !== undefined) setTimeout(() => a.stop(), stopAfter);
      expect(await a.done).toMatchObject({
        state: stopAfter === undefined ? 'failed' : 'interrupted',
        signal: 'SIGTERM',
      });
    }
  });

  it('exit 0 after a stop still counts as success: the work was done', async () => {
    const ready = join(dir, `graceful-${name}`);
    const a = start({ cmd: `trap 'exit 0' TERM; echo up > ${ready}; while :; do sleep 0.1; done` });
    await firstLine(ready);
    a.stop();
    expect((await a.done).state).toBe('succeeded');
  });
});
