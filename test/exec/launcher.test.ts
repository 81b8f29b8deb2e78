// Both ways of starting a task (Node's spawn and posix_spawn through the native module) must behave
// the same: exit codes and signals, output tails, environment and directory, process groups, the
// pipe drain for leftover children, and plain "cannot start" failures.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Launcher, LaunchSpec } from '../../src/exec/launcher.js';
import { openLauncher } from '../../src/exec/open-launcher.js';
import { launchersToTest, processGone, scratch } from '../helpers.js';

const dir = scratch();
const base: LaunchSpec = {
  cmd: 'true',
  shell: '/bin/sh',
  env: { PATH: process.env.PATH },
  logLimit: 1 << 20,
};

// The native module is built by `npm install` / `npm run build` (scripts/build-native.js); CI
// requires it (launchersToTest), so there a missing one fails rather than being skipped.
describe.each(launchersToTest())('launcher %s', (name) => {
  let launcher: Launcher;
  beforeAll(() => {
    launcher = openLauncher({ BATCHPLAN_LAUNCHER: name });
    expect(launcher.name).toBe(name);
  });
  const run = (spec: Partial<LaunchSpec>) => launcher.launch({ ...base, ...spec }).ended;

  it('reports the exit code and keeps stdout and stderr apart', async () => {
    const r = await run({ cmd: 'echo out; echo err >&2; printf "\\000\\377"; exit 3' });
    expect(r).toMatchObject({ code: 3 });
    expect(r.signal).toBeUndefined();
    expect(r.stdout).toEqual(Buffer.from('out\n\0\xff', 'latin1'));
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('passes exactly the environment given, and the directory', async () => {
    const r = await run({ cmd: 'pwd; env | sort', cwd: dir, env: { A: 'x=y', EMPTY: '', PATH: '/bin' } });
    const [pwd, ...vars] = r.stdout.toString().trim().split('\n');
    expect(pwd).toBe(dir);
    expect(vars).toEqual(expect.arrayContaining(['A=x=y', 'EMPTY=', 'PATH=/bin']));
    expect(vars.filter((v) => /^(HOME|USER)=/.test(v))).toEqual([]);
  });

  it('finds a shell given by name in the task’s own PATH', async () => {
    const bin = join(dir, `bin-${name}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'myshell'), '#!/bin/sh\necho "myshell $1 $2"\n', { mode: 0o755 });
    const r = await run({ shell: 'myshell', cmd: 'x', env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout.toString()).toBe('myshell -c x\n');
  });

  it('reports a death by signal as a signal, with no exit code', async () => {
    const r = await run({ cmd: 'kill -KILL $$' });
    expect(r).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('runs the task in its own process group, which signal() reaches whole', async () => {
    const pids = join(dir, `pids-${name}`);
    const task = launcher.launch({ ...base, cmd: `sleep 60 & echo $$ $! > ${pids}; wait` });
    for (let i = 0; i < 100 && !readFileSync(pids, { flag: 'a+' }).length; i++)
      await new Promise((r) => setTimeout(r, 50));
    const [shellPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
    const stat = readFileSync(`/proc/${sleepPid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(shellPid); // its pgid
    task.signal('SIGTERM');
    expect(await task.ended).toMatchObject({ code: null, signal: 'SIGTERM' });
    await new Promise((r) => setTimeout(r, 100));
    expect(processGone(sleepPid)).toBe(true);
  });

  it('delivers a signal asked for before the process was reported started', async () => {
    const task = launcher.launch({ ...base, cmd: 'sleep 30' });
    task.signal('SIGTERM');
    const t0 = Date.now();
    expect(await task.ended).toMatchObject({ signal: 'SIGTERM' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keeps the tail of long output, with a note of what it dropped', async () => {
    const r = await run({ cmd: 'seq 1 100000; seq 1 100000 >&2', logLimit: 1000 });
    for (const out of [r.stdout, r.stderr]) {
      const text = out.toString();
      const [note, ...rest] = text.split('\n');
      expect(note).toMatch(
        /^\[batchplan: \d+ earlier bytes of output dropped; --log-limit keeps the last 1000\]$/,
      );
      expect(Buffer.byteLength(rest.join('\n'))).toBe(1000);
      expect(text.endsWith('99999\n100000\n')).toBe(true);
      expect(Number(/(\d+) earlier/.exec(note!)![1]) + 1000).toBe(
        Buffer.byteLength(Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('')),
      );
    }
  });

  it('waits a moment for output from children left holding its pipes, not for ever', async () => {
    const t0 = Date.now();
    const r = await run({ cmd: '(sleep 0.5; echo late) & (sleep 30) & echo early' });
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('early\nlate\n');
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThan(1500); // the 2 s drain, cut short of the 30 s sleeper
    expect(ms).toBeLessThan(10_000);
  });

  it('keeps output written before and after it has run a while (past the point where it is streamed)', async () => {
    const r = await run({ cmd: 'echo early; echo e1 >&2; sleep 0.3; echo late; echo e2 >&2' });
    expect(r.stdout.toString()).toBe('early\nlate\n');
    expect(r.stderr.toString()).toBe('e1\ne2\n');
  });

  it('a child left writing without end is cut off after the drain time, its tail kept', async () => {
    const t0 = Date.now();
    const r = await run({ cmd: '(yes tail-line &); echo parent', logLimit: 4096 });
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const text = r.stdout.toString();
    expect(text).toMatch(
      /^\[batchplan: \d+ earlier bytes of output dropped; --log-limit keeps the last 4096\]\n/,
    );
    // Whole lines, except that the last may be cut: a writer stopped inside a write(2) larger than
    // PIPE_BUF (yes writes 8 KiB) leaves part of it in the pipe ("…tail-line\nta", 2 runs in 6).
    const last = text.slice(text.lastIndexOf('\n') + 1);
    expect('tail-line'.startsWith(last), JSON.stringify(text.slice(-40))).toBe(true);
    expect(text.slice(0, text.length - last.length)).toMatch(/(?:tail-line\n){100}$/);
  });

  it('fails plainly, with no exit code, when the directory or the shell is missing', async () => {
    const noDir = await run({ cwd: join(dir, 'missing') });
    expect(noDir).toMatchObject({ code: null });
    expect(noDir.stderr.toString()).toMatch(/^batchplan: cannot start task: /);
    const noShell = await run({ shell: join(dir, 'no-such-shell') });
    expect(noShell).toMatchObject({ code: null });
    expect(noShell.stderr.toString()).toMatch(/^batchplan: cannot start task: /);
  });

  it('runs many tasks at once and reports each to its own caller', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        run({ cmd: `sleep 0.0$((${i} % 5)); echo ${i}; exit $((${i} % 7))` }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.code).toBe(i % 7);
      expect(r.stdout.toString()).toBe(`${i}\n`);
    });
  });
});

describe('choosing a launcher', () => {
  it('BATCHPLAN_LAUNCHER chooses; unset means native when built; a wrong value is a usage error', () => {
    expect(openLauncher({ BATCHPLAN_LAUNCHER: 'spawn' }).name).toBe('spawn');
    const best = launchersToTest().includes('native') ? 'native' : 'spawn';
    expect(openLauncher({}).name).toBe(best);
    expect(openLauncher({ BATCHPLAN_LAUNCHER: 'auto' }).name).toBe(best);
    expect(() => openLauncher({ BATCHPLAN_LAUNCHER: 'fork' })).toThrow(/auto, spawn or native/);
  });

  it('a task that inherits Node’s ignored SIGPIPE gets it back at its default', async () => {
    // Node ignores SIGPIPE, and ignored signals survive exec: a task writing into a closed pipe must
    // die of SIGPIPE (as from a shell), not loop on EPIPE errors.
    for (const name of launchersToTest()) {
      const r = await openLauncher({ BATCHPLAN_LAUNCHER: name }).launch({
        ...base,
        cmd: 'grep SigIgn /proc/self/status',
      }).ended;
      // Standard signals 1-31 only: glibc reserves 32 and 33 and sets them up itself in every program.
      const ignored = BigInt('0x' + /SigIgn:\s+(\w+)/.exec(r.stdout.toString())![1]!);
      expect(ignored & 0x7fffffffn, name).toBe(0n);
    }
  });
});
