// retry and rerun --force killed half-way: SIGKILL injected by strace at each system call that makes
// the reset marker (mkdir of status/resets, the temp file's open, write, fsync, close, the rename,
// the directory's fsync), at other calls picked at random, and at random delays. Each time status
// shows the old state or the whole new one, never a part; what a kill leaves is a hidden temp file
// that readers skip; and the next retry and run finish the plan.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, cliAsync, engineAvailable, scratch } from '../helpers.js';

// Two stages, so that one marker holds ranges of both: n % 3 == 0 fails until `fixed` exists.
const SPEC = `
stages:
  - name: a
    template: 'test $(( {{n}} % 3 )) != 0 || test -e "$FIX_DIR/fixed"'
    matrix: {n: {range: [0, 30]}}
  - name: b
    template: 'test {{n}} != 1 || test -e "$FIX_DIR/fixed"'
    matrix: {n: {range: [0, 4]}}
`;
const CALLS = ['mkdir', 'openat', 'write', 'fsync', 'close', 'rename'];

const pending = (plan: string) =>
  (JSON.parse(cli(['status', plan, '--json']).stdout).stages as { pending: number }[]).map((s) => s.pending);

/** The calls of one run of `args`, in order, as `name` plus whether it names the resets directory. */
function traceCalls(args: string[]): { name: string; line: string }[] {
  const out = join(scratch(), 'trace');
  const r = spawnSync('strace', [
    '-f',
    '-qq',
    '-o',
    out,
    '-e',
    `trace=${CALLS.join(',')}`,
    process.execPath,
    BIN,
    ...args,
  ]);
  expect(r.status, String(r.stderr)).toBe(0);
  return readFileSync(out, 'utf8')
    .split('\n')
    .map((line) => ({ name: /^\d+\s+(\w+)\(/.exec(line)?.[1] ?? '', line }))
    .filter((c) => c.name);
}

describe.runIf(engineAvailable('strace'))('a reset killed half-way', () => {
  it.each([
    ['retry', ['retry'], [0, 0], [10, 1]],
    ['rerun --force', ['rerun', '--force'], [0, 0], [30, 4]],
  ] as const)(
    '%s: the old state or the whole new one, at every step',
    async (_, verb, before, after) => {
      const dir = scratch();
      writeFileSync(join(dir, 's.yaml'), SPEC);
      const plan = join(dir, 'p.plan');
      const env = { FIX_DIR: dir };
      expect(cli(['run', join(dir, 's.yaml'), '-o', plan], { env }).code).toBe(1);
      const resets = join(plan, 'status', 'resets');
      const args = [...verb, plan];

      // Where to kill: the k-th call of each kind, counted as strace counts them (per call name).
      const calls = traceCalls(args);
      expect(pending(plan), 'the traced run reset').toEqual(after);
      rmSync(resets, { recursive: true });
      const seen = new Map<string, number>();
      const points: [string, number][] = [];
      let markerFd: string | undefined; // the temp file's, from its open to its close
      for (const c of calls) {
        const k = (seen.get(c.name) ?? 0) + 1;
        seen.set(c.name, k);
        const fd = /^\d+\s+\w+\((\d+)[,)]/.exec(c.line)?.[1];
        const onMarker = c.line.includes('/status/resets') || (fd !== undefined && fd === markerFd);
        if (c.line.includes('.json.tmp') && c.name === 'openat') markerFd = /= (\d+)$/.exec(c.line)?.[1];
        else if (c.name === 'close' && fd === markerFd) markerFd = undefined;
        // Every call on the marker, its directory and every fsync; a few of the rest (node's start-up).
        if (onMarker || c.name === 'fsync' || c.name === 'rename' || Math.random() < 0.03)
          points.push([c.name, k]);
      }
      expect(points.filter(([name]) => name === 'rename').length).toBeGreaterThan(0);

      const outcomes = new Map<string, number>();
      const check = (how: string) => {
        const now = pending(plan);
        expect([before, after], `${how}: all or nothing`).toContainEqual(now);
        const files = existsSync(resets) ? readdirSync(resets) : [];
        const visible = files.filter((f) => !f.startsWith('.'));
        // A visible marker is a whole one; a kill before the rename leaves only a hidden temp file.
        for (const f of visible) expect(JSON.parse(readFileSync(join(resets, f), 'utf8')).v, f).toBe(1);
        const outcome =
          now[0] === after[0] ? 'reset' : files.some((f) => f.startsWith('.')) ? 'temp file left' : 'nothing';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        // Back to the old state for the next kill.
        for (const f of visible) rmSync(join(resets, f));
      };
      for (const [name, k] of points) {
        // Asynchronously: a test thread blocked for long makes vitest's own RPC time out.
        const r = await new Promise<{ code: number | null; signal: string | null }>((res) =>
          spawn(
            'strace',
            [
              '-f',
              '-qq',
              '-o',
              '/dev/null',
              '-e',
              `trace=${name}`,
              '-e',
              `inject=${name}:signal=SIGKILL:when=${k}`,
              process.execPath,
              BIN,
              ...args,
            ],
            { stdio: 'ignore' },
          ).on('close', (code, signal) => res({ code, signal })),
        );
        expect(
          r.code === 0 || r.code === 137 || r.signal === 'SIGKILL',
          `${name}#${k}: ${JSON.stringify(r)}`,
        ).toBe(true);
        check(`killed at ${name} #${k}`);
      }
      for (let round = 0; round < 3; round++) {
        const { child, done } = cliAsync(args);
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 1500);
        await done;
        check(`killed after a random delay`);
      }
      expect(outcomes.get('temp file left'), JSON.stringify([...outcomes])).toBeGreaterThan(0);
      expect(outcomes.get('nothing')).toBeGreaterThan(0);

      // Nothing stops the next one: it resets, and a run with the fix finishes the plan.
      expect(cli(args).code).toBe(0);
      expect(pending(plan)).toEqual(after);
      writeFileSync(join(dir, 'fixed'), '');
      expect(cli(['run', plan], { env }).code).toBe(0);
      expect(pending(plan)).toEqual([0, 0]);
    },
    300_000,
  );
});
