// One attempt of a task, on its own: exit codes and signals, output tails, environment and
// directory, the task's own process group, the pipe drain for leftover children, stop and timeout,
// and plain "cannot start" failures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAttempt, type AttemptSpec } from '../../src/exec/attempt.js';
import { processGone, scratch } from '../helpers.js';

const dir = scratch();
const base: AttemptSpec = {
  cmd: 'true',
  shell: '/bin/sh',
  env: { PATH: process.env.PATH },
  grace: 1,
  logLimit: 1 << 20,
};
const run = (spec: Partial<AttemptSpec>) => startAttempt({ ...base, ...spec }).done;

async function firstLine(file: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = readFileSync(file, { encoding: 'utf8', flag: 'a+' });
    if (text.includes('\n')) return text.split('\n')[0]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing written to ${file}`);
}

describe('an attempt', () => {
  it('reports the exit code and keeps stdout and stderr apart, byte for byte', async () => {
    const r = await run({ cmd: 'echo out; echo err >&2; printf "\\000\\377"; exit 3' });
    expect(r).toMatchObject({ state: 'failed', exitCode: 3, timedOut: false });
    expect(r.signal).toBeUndefined();
    expect(r.stdout).toEqual(Buffer.from('out\n\0\xff', 'latin1'));
    expect(r.stderr.toString()).toBe('err\n');
    expect((await run({})).state).toBe('succeeded');
  });

  it('gets exactly the environment given, and the directory', async () => {
    const r = await run({ cmd: 'pwd; env', cwd: dir, env: { A: 'x=y', EMPTY: '', PATH: '/bin' } });
    const [pwd, ...vars] = r.stdout.toString().trim().split('\n');
    expect(pwd).toBe(dir);
    expect(vars).toEqual(expect.arrayContaining(['A=x=y', 'EMPTY=', 'PATH=/bin']));
    expect(vars.filter((v) => /^(HOME|USER)=/.test(v))).toEqual([]);
  });

  it('reports a death by signal as a signal, with no exit code', async () => {
    expect(await run({ cmd: 'kill -KILL $$' })).toMatchObject({
      state: 'failed',
      exitCode: null,
      signal: 'SIGKILL',
    });
  });

  it('runs in its own process group: stop() ends the task and its children, as interrupted', async () => {
    const pids = join(dir, 'pids');
    const a = startAttempt({ ...base, cmd: `sleep 60 & echo $$ $! > ${pids}; wait` });
    const [shellPid, sleepPid] = (await firstLine(pids)).split(' ').map(Number) as [number, number];
    const stat = readFileSync(`/proc/${sleepPid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(shellPid); // its pgid
    a.stop();
    expect(await a.done).toMatchObject({ state: 'interrupted', exitCode: null, signal: 'SIGTERM' });
    await new Promise((r) => setTimeout(r, 100));
    expect(processGone(sleepPid)).toBe(true);
  });

  it('a task that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const ready = join(dir, 'trap-ready');
    const a = startAttempt({
      ...base,
      cmd: `trap '' TERM; echo up > ${ready}; while :; do sleep 0.1; done`,
      grace: 0.5,
    });
    await firstLine(ready);
    const t0 = Date.now();
    a.stop();
    expect(await a.done).toMatchObject({ state: 'interrupted', signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  it('a timeout fails the attempt, marked as timed out', async () => {
    expect(await run({ cmd: 'sleep 30', timeout: 0.3 })).toMatchObject({
      state: 'failed',
      timedOut: true,
      signal: 'SIGTERM',
    });
  });

  it('keeps the tail of long output, with a note of what it dropped', async () => {
    const r = await run({ cmd: 'seq 1 100000; seq 1 100000 >&2', logLimit: 1000 });
    const all = Buffer.byteLength(Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join(''));
    for (const out of [r.stdout, r.stderr]) {
      const [note, ...rest] = out.toString().split('\n');
      expect(note).toBe(
        `[batchplan: ${all - 1000} earlier bytes of output dropped; --log-limit keeps the last 1000]`,
      );
      expect(Buffer.byteLength(rest.join('\n'))).toBe(1000);
      expect(out.toString().endsWith('99999\n100000\n')).toBe(true);
    }
  });

  it('waits a moment for output from children left holding its pipes, not for ever', async () => {
    const t0 = Date.now();
    const r = await run({ cmd: '(sleep 0.5; echo late) & (sleep 30) & echo early' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('early\nlate\n');
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThan(1500); // the 2 s drain, cut short of the 30 s sleeper
    expect(ms).toBeLessThan(10_000);
  });

  it('fails plainly, with no exit code, when the directory or the shell is missing', async () => {
    for (const spec of [{ cwd: join(dir, 'missing') }, { shell: join(dir, 'no-such-shell') }]) {
      const r = await run(spec);
      expect(r).toMatchObject({ state: 'failed', exitCode: null });
      expect(r.stderr.toString()).toMatch(/^batchplan: cannot start task: /);
    }
  });

  it('many at once each report to their own caller', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        run({ cmd: `sleep 0.0$((${i} % 5)); echo ${i}; exit $((${i} % 7))` }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.exitCode).toBe(i % 7);
      expect(r.stdout.toString()).toBe(`${i}\n`);
    });
  });
});
