// Shared helpers of the benchmark harness: run a command as a user would, time it, take its peak
// memory, and summarise several runs. Plain ESM JavaScript on purpose: `npm run bench` builds the CLI
// and then drives bin/batchplan.js, never the sources.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'batchplan.js');
export const NODE = process.execPath;
const GNU_TIME = '/usr/bin/time';
const HAVE_GNU_TIME = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;

/** `node bin/batchplan.js <args>`: the command a generated script runs. */
export function batchplan(...args) {
  return [NODE, BIN, ...args];
}

/**
 * Run argv once. Returns wall time (ms, from spawn to exit), the peak RSS (KiB, when `rss` is set:
 * GNU time's %M when installed, otherwise polled from /proc/<pid>/status VmHWM), exit code and output.
 * `stdin` is a file to read standard input from; `stdout` 'ignore' (default), 'pipe' or a file path.
 */
export async function measure(argv, opts = {}) {
  const { rss = false, cwd, env, stdin, stdout = 'ignore', allowFail = false } = opts;
  let timeFile;
  let cmd = argv;
  if (rss && HAVE_GNU_TIME) {
    timeFile = join(scratchRoot(), `time-${process.pid}-${Math.random().toString(36).slice(2)}`);
    cmd = [GNU_TIME, '-f', '%M', '-o', timeFile, ...argv];
  }
  const inFd = stdin ? openSync(stdin, 'r') : 'ignore';
  const outFd = stdout === 'ignore' || stdout === 'pipe' ? stdout : openSync(stdout, 'w');
  const t0 = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    stdio: [inFd, outFd, 'pipe'],
  });
  let out = '';
  let err = '';
  if (child.stdout) child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  let peak = 0;
  let polling = rss && !HAVE_GNU_TIME;
  const poll = async () => {
    while (polling) {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        /* gone */
      }
      await sleep(10);
    }
  };
  const poller = poll();
  const { code, signal } = await new Promise((res) =>
    child.on('close', (c, s) => res({ code: c, signal: s })),
  );
  const ms = performance.now() - t0;
  polling = false;
  await poller;
  if (typeof inFd === 'number') closeSync(inFd);
  if (typeof outFd === 'number') closeSync(outFd);
  if (timeFile) {
    const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
    peak = Number(lines[lines.length - 1]);
    rmSync(timeFile, { force: true });
  }
  if ((code !== 0 || signal) && !allowFail)
    throw new Error(`${argv.join(' ')} exited ${code ?? signal}: ${err.slice(-2000)}`);
  return { ms, rssKiB: rss ? peak : undefined, code, stdout: out, stderr: err };
}

/** Run a shell one-liner (for baselines: awk, xargs, parallel), measured like `measure`. */
export function measureSh(script, opts = {}) {
  return measure(['/bin/sh', '-c', script], opts);
}

/** Run argv synchronously for set-up work (not measured); throws on failure. */
export function runSync(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...opts,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  if (r.status !== 0 && !opts.allowFail)
    throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').slice(-2000)}`);
  return r;
}

export function have(cmd) {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Median, min and max of a list of numbers. */
export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: values };
}

/**
 * Run `fns` (an object name -> async () => number) `runs` times each, interleaved (a, b, a, b …) so
 * that load from other users of the machine falls on every side alike. Returns stats per name.
 */
export async function interleaved(runs, fns, { warmup = 0, deadline = Infinity } = {}) {
  const values = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = -warmup; r < runs; r++) {
    const t0 = performance.now();
    for (const [name, fn] of Object.entries(fns)) {
      const v = await fn(r);
      if (r >= 0) values[name].push(v);
    }
    // A round that would end past the deadline is not started (at least one round always runs).
    if (r >= 0 && performance.now() + (performance.now() - t0) > deadline) break;
  }
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, stats(v)]));
}

let scratch;
/** One scratch directory under the system's temp dir for the whole bench run (removed at the end). */
export function scratchRoot() {
  scratch ??= mkdtempSync(join(tmpdir(), 'batchplan-bench-'));
  return scratch;
}

export function scratchDir(name) {
  return mkdtempSync(join(scratchRoot(), `${name}-`));
}

export function cleanScratch() {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}

/** Regular files under dir, recursively. */
export function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else n++;
  }
  return n;
}

export function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/** A 1000 × 1000-style matrix spec of `rows × cols` tasks (`echo a b`, the same lines awk writes). */
export function matrixSpec(rows, cols) {
  return [
    'stages:',
    '  - name: sweep',
    '    template: "echo {{a}} {{b}}"',
    '    matrix:',
    `      a: {range: [0, ${rows}]}`,
    `      b: {range: [0, ${cols}]}`,
    '',
  ].join('\n');
}

/** The awk program that writes the same command lines as matrixSpec (the I/O floor of compile). */
export function awkMatrix(rows, cols, out) {
  return `awk 'BEGIN { for (a = 0; a < ${rows}; a++) for (b = 0; b < ${cols}; b++) print "echo " a " " b }' > '${out}'`;
}

/** Factor rows × cols for a task count (a matrix as square as the count allows). */
export function matrixShape(tasks) {
  let rows = Math.floor(Math.sqrt(tasks));
  while (tasks % rows) rows--;
  return [rows, tasks / rows];
}

export const fmt = {
  ms: (v) =>
    v >= 10_000
      ? `${(v / 1000).toFixed(1)} s`
      : v >= 1000
        ? `${(v / 1000).toFixed(2)} s`
        : `${v.toFixed(v < 10 ? 2 : 0)} ms`,
  mib: (kib) => `${(kib / 1024).toFixed(0)} MiB`,
  n: (v) => v.toLocaleString('en-US'),
};

/** Stats with every value multiplied by f (e.g. ms per run -> µs per task). */
export function scale(s, f) {
  return { median: s.median * f, min: s.min * f, max: s.max * f, runs: s.runs.map((v) => v * f) };
}

/**
 * Is the cost linear in n? Compares the marginal cost per item of the last step (e.g. 100k -> 1M)
 * with that of the first (10k -> 100k): start-up cancels out, growth beyond linear shows as a ratio
 * above 1. Points are { n, ms } with the median of each size.
 */
export function linearity(what, points) {
  const p = [...points].sort((a, b) => a.n - b.n);
  const marginal = (a, b) => ((b.ms - a.ms) / (b.n - a.n)) * 1000; // µs per item
  const first = marginal(p[0], p[1]);
  const last = marginal(p[p.length - 2], p[p.length - 1]);
  const one = (v) => ({ median: v, min: v, max: v, runs: [v] });
  return {
    case: `${what}: linear in size (${p.map((x) => fmt.n(x.n)).join(' / ')})`,
    unit: 'us/task',
    batchplan: one(last),
    baseline: { name: `marginal cost ${fmt.n(p[0].n)}→${fmt.n(p[1].n)}`, ...one(first) },
    ratio: first > 0 ? last / first : undefined,
    target: '≤ 1.5× (marginal cost of the last step vs the first)',
    // A first step lost in the noise (quick mode's 1,000 -> 10,000) cannot be compared.
    pass: first > 0 ? last / first <= 1.5 : null,
  };
}
