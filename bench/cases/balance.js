// Balanced mode (docs/balancing.md): makespans of one stage run as 8 partitions × 4 slots on this
// machine (8 run-partition processes at once, as 8 array elements would run), static against
// balanced, with GNU parallel -j 32 over the same commands (one global queue: the best one machine
// can do) and the lower bound max(total work / 32, longest task) beside them.
// - heterogeneous: 2,000 `sleep` tasks, seeded heavy-tailed durations whose long ones cluster in
//   neighbouring ids (neighbouring parameters cost alike);
// - uniform: every task alike (balanced mode must cost nothing there);
// - backup tasks: 200 tasks, one of them 20× slower where it first runs (a slow node), with and
//   without backup copies;
// - the heterogeneous stage again on the real Slurm: 8 array elements (2 CPUs each, 4 tasks at once).
// `sleep` so that 32 tasks at once fit on 2 cores; durations scaled so that one makespan is seconds.
// On 2 shared cores every task also costs its fork and execs (sh, sleep), which the bound leaves
// out: a second bound over the durations the balanced runs' journals recorded shows how much of the
// gap is scheduling and how much is the machine.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { batchplan, fmt, have, measure, measureSh, runSync, scratchDir, stats } from '../lib.js';
import { ours, slurmUp } from './slurm.js';

export const name = 'balance';

const PARTS = 8;
const SLOTS = 4;

/** Mulberry32: a small seeded generator, so every run draws the same durations. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heavy-tailed durations (s): short ones everywhere, Pareto-long ones in a few runs of neighbours. */
export function heterogeneous(count, seed = 14) {
  const r = rng(seed);
  const d = Array.from({ length: count }, () => 0.02 + 0.06 * r());
  // Three clusters of long tasks, two of them in the first partition's slice.
  for (const [from, len] of [
    [30, 45],
    [160, 40],
    [1210, 35],
  ])
    for (let i = from; i < from + len && i < count; i++)
      d[i] = Math.min(4, 0.8 / Math.pow(1 - r() * 0.9, 1 / 1.6));
  return d.map((x) => Math.round(x * 1000) / 1000);
}

function bound(d, slots) {
  const total = d.reduce((s, x) => s + x, 0);
  return { total, ms: Math.max(total / slots, Math.max(...d)) * 1000 };
}

/** A plan of one stage (named `name`) from command lines. */
function planOf(dir, name, cmds) {
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, cmds.join('\n') + '\n');
  const plan = join(dir, `${name}.plan`);
  runSync(batchplan('plan', file, '-o', plan));
  return { plan, file, stage: name };
}

/** The bound over the task durations a run recorded (ms): max(their sum / slots, the longest). */
function recordedBound(plan, slots) {
  const dir = join(plan, 'status', 'stage-0');
  let sum = 0;
  let max = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl')))
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.startsWith('{"k":"e"')) continue;
      const d = JSON.parse(line).d ?? 0;
      sum += d;
      max = Math.max(max, d);
    }
  return Math.max(sum / slots, max);
}

/**
 * Where a balanced run's time went, from its journals: when each partition's first journal appeared
 * after its spawn (Node's start-up on a loaded machine), and how much longer than nominal its tasks
 * ran (their fork and execs, and waiting for a CPU). `spawnedAt` is the wall clock at the spawns.
 */
function timeline(plan, spawnedAt, nominal) {
  const dir = join(plan, 'status', 'stage-0');
  const firstJournal = new Map(); // pid -> earliest header time
  const over = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean);
    const h = JSON.parse(lines[0]);
    firstJournal.set(h.pid, Math.min(firstJournal.get(h.pid) ?? Infinity, h.t));
    for (const line of lines) {
      if (!line.startsWith('{"k":"e"')) continue;
      const r = JSON.parse(line);
      if (r.st === 'succeeded') over.push(r.d - nominal[r.i] * 1000);
    }
  }
  const starts = [...firstJournal.values()].map((t) => t - spawnedAt).sort((a, b) => a - b);
  over.sort((a, b) => a - b);
  return { firstStart: starts[0], lastStart: starts.at(-1), overheadP50: over[over.length >> 1] };
}

/** The makespan (ms) of one queue feeding `slots` in id order, each task taking its nominal time. */
function greedy(d, slots) {
  const free = new Array(slots).fill(0);
  for (const x of d) {
    let k = 0;
    for (let j = 1; j < slots; j++) if (free[j] < free[k]) k = j;
    free[k] += x;
  }
  return Math.max(...free) * 1000;
}

/** All 8 partitions at once; the makespan is from the first start to the last exit. */
async function partitions({ plan, stage }, env, after) {
  runSync(['rm', '-rf', join(plan, 'status'), join(plan, 'results')]);
  const spawnedAt = Date.now();
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: PARTS },
      (_, i) =>
        new Promise((resolve, reject) => {
          const argv = batchplan(
            'run-partition',
            plan,
            stage,
            String(PARTS),
            String(i),
            '--nprocs',
            String(SLOTS),
          );
          const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
          child.on('close', (code) =>
            code === 0 ? resolve() : reject(new Error(`partition ${i} exited ${code}`)),
          );
        }),
    ),
  );
  const ms = performance.now() - t0;
  after?.(plan, spawnedAt);
  return ms;
}

async function rounds(n, fns) {
  const out = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < n; r++) for (const [k, fn] of Object.entries(fns)) out[k].push(await fn());
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, stats(v)]));
}

const one = (v) => ({ median: v, min: v, max: v, runs: [v] });

export async function run(ctx) {
  const dir = scratchDir('balance');
  const runs = ctx.quick ? 1 : ctx.runs;
  const rows = [];
  const STATIC = { BATCHPLAN_BALANCE: '0' };
  const BALANCED = { BATCHPLAN_BALANCE: '1' };

  // Heterogeneous stage.
  const count = ctx.quick ? 1000 : 2000;
  const d = heterogeneous(count);
  const het = planOf(
    dir,
    'hetero',
    d.map((x) => `sleep ${x}`),
  );
  const lb = bound(d, PARTS * SLOTS);
  const recorded = [];
  const timelines = [];
  const fns = {
    static: () => partitions(het, STATIC),
    balanced: () =>
      partitions(het, BALANCED, (plan, spawnedAt) => {
        recorded.push(recordedBound(plan, PARTS * SLOTS));
        timelines.push(timeline(plan, spawnedAt, d));
      }),
  };
  if (have('parallel'))
    fns.parallel = async () =>
      (await measureSh(`parallel --will-cite -j ${PARTS * SLOTS} < '${het.file}'`)).ms;
  const h = await rounds(runs, fns);
  ctx.log(
    `balance heterogeneous: static ${fmt.ms(h.static.median)}, balanced ${fmt.ms(h.balanced.median)}${h.parallel ? `, parallel ${fmt.ms(h.parallel.median)}` : ''}, bound ${fmt.ms(lb.ms)}`,
  );
  const label = `${fmt.n(count)} heavy-tailed sleep tasks (${lb.total.toFixed(0)} s of work, clustered), ${PARTS} partitions × ${SLOTS} slots`;
  rows.push(
    {
      case: `${label}: balanced vs the bound max(work/32, longest)`,
      unit: 'ms',
      batchplan: h.balanced,
      baseline: { name: 'lower bound', ...one(lb.ms) },
      ratio: h.balanced.median / lb.ms,
      target: '≤ 1.15×',
      pass: h.balanced.median / lb.ms <= 1.15,
    },
    {
      case: `${label}: balanced vs static`,
      unit: 'ms',
      batchplan: h.balanced,
      baseline: { name: 'static partitions', ...h.static },
      ratio: h.balanced.median / h.static.median,
      target: '≤ 0.5×',
      pass: h.balanced.median / h.static.median <= 0.5,
    },
  );
  if (h.parallel)
    rows.push({
      case: `${label}: balanced vs GNU parallel -j 32 (one queue)`,
      unit: 'ms',
      batchplan: h.balanced,
      baseline: { name: 'parallel -j 32', ...h.parallel },
      ratio: h.balanced.median / h.parallel.median,
      target: 'info',
      pass: null,
    });
  const rb = stats(recorded);
  rows.push({
    case: `${label}: balanced vs the bound over the durations its runs recorded (fork, exec and load included)`,
    unit: 'ms',
    batchplan: h.balanced,
    baseline: { name: 'recorded bound', ...rb },
    ratio: h.balanced.median / rb.median,
    target: 'info',
    pass: null,
    note: `the recorded durations sum to ${(rb.median / lb.ms).toFixed(2)}× the nominal work on this machine at this load: that much of the gap to max(work/32, longest) is the cost of starting 2,000 tasks on 2 shared cores, which GNU parallel pays too`,
  });
  const tl = (k) => stats(timelines.map((t) => t[k]));
  const online = greedy(d, PARTS * SLOTS);
  rows.push({
    case: `${label}: balanced vs one queue feeding 32 slots in id order with the nominal durations (what an ideal dynamic scheduler reaches)`,
    unit: 'ms',
    batchplan: h.balanced,
    baseline: { name: 'ideal one queue', ...one(online) },
    ratio: h.balanced.median / online,
    target: 'info',
    pass: null,
    note: `the bound is fair as a schedule: ${(online / lb.ms).toFixed(3)}× it with no cost per task; what it leaves out: partitions' first journals ${fmt.ms(tl('firstStart').median)} to ${fmt.ms(tl('lastStart').median)} after their spawn (Node's start-up, 8 at once on 2 shared cores; medians over rounds), and each task running a median ${fmt.ms(tl('overheadP50').median)} longer than its nominal duration (spawn, sh, sleep's exec and waiting for a CPU)`,
  });
  rows.push({
    case: `${label}: static vs the bound`,
    unit: 'ms',
    batchplan: h.static,
    baseline: { name: 'lower bound', ...one(lb.ms) },
    ratio: h.static.median / lb.ms,
    target: 'info',
    pass: null,
  });

  // Uniform stage: the cost of balancing where there is nothing to balance.
  const ucount = ctx.quick ? 800 : 1600;
  const uni = planOf(
    dir,
    'uniform',
    Array.from({ length: ucount }, () => 'sleep 0.2'),
  );
  const u = await rounds(runs, {
    static: () => partitions(uni, STATIC),
    balanced: () => partitions(uni, BALANCED),
  });
  ctx.log(`balance uniform: static ${fmt.ms(u.static.median)}, balanced ${fmt.ms(u.balanced.median)}`);
  rows.push({
    case: `${fmt.n(ucount)} uniform sleep 0.2 tasks, ${PARTS} partitions × ${SLOTS} slots: balanced vs static`,
    unit: 'ms',
    batchplan: u.balanced,
    baseline: { name: 'static partitions', ...u.static },
    ratio: u.balanced.median / u.static.median,
    target: '≤ 1.05×',
    pass: u.balanced.median / u.static.median <= 1.05,
  });
  return [...rows, ...(await backups(ctx, dir, runs)), ...(await onSlurm(ctx, dir, d, lb))];
}

/** The heterogeneous stage on the real Slurm: 8 array elements, static against balanced. */
async function onSlurm(ctx, dir, d, lb) {
  const why = slurmUp();
  const what = `Slurm, ${fmt.n(d.length)} heavy-tailed sleep tasks, ${PARTS} array elements × ${SLOTS} slots`;
  if (why) return [{ case: what, unit: 'ms', target: 'info', pass: null, note: `skipped: ${why}` }];
  const runs = ctx.quick ? 1 : Math.min(ctx.runs, 2);
  const file = join(dir, 'slurm-hetero.txt');
  writeFileSync(file, d.map((x) => `sleep ${x}`).join('\n') + '\n');
  let k = 0;
  const submitted = async (mode) => {
    const plan = join(dir, `slurm-${k++}.plan`);
    runSync(batchplan('plan', file, '-o', plan));
    const env = { BATCHPLAN_BALANCE: mode };
    const t0 = performance.now();
    const sub = await measure(
      batchplan(
        'submit',
        plan,
        String(PARTS),
        '--runner',
        'slurm',
        '--cpus-per-task',
        '2',
        '--nprocs',
        String(SLOTS),
        '--json',
      ),
      { stdout: 'pipe', env },
    );
    const jobIds = (JSON.parse(sub.stdout).jobIds ?? []).map(String);
    jobIds.forEach((j) => ours.add(j));
    await measure(batchplan('wait', plan, '--interval', '1s'), { stdout: 'ignore' });
    const ms = performance.now() - t0;
    jobIds.forEach((j) => ours.delete(j));
    const st = JSON.parse((await measure(batchplan('status', plan, '--json'), { stdout: 'pipe' })).stdout);
    if (st.overall.succeeded !== d.length)
      throw new Error(`slurm ${mode}: ${st.overall.succeeded}/${d.length} succeeded`);
    return ms;
  };
  const s = await rounds(runs, { static: () => submitted('0'), balanced: () => submitted('1') });
  ctx.log(`balance on slurm: static ${fmt.ms(s.static.median)}, balanced ${fmt.ms(s.balanced.median)}`);
  return [
    {
      case: `${what}: balanced vs static (submit to wait's end)`,
      unit: 'ms',
      batchplan: s.balanced,
      baseline: { name: 'static partitions', ...s.static },
      ratio: s.balanced.median / s.static.median,
      target: '≤ 0.5×',
      pass: s.balanced.median / s.static.median <= 0.5,
    },
    {
      case: `${what}: balanced vs the bound max(work/32, longest)`,
      unit: 'ms',
      batchplan: s.balanced,
      baseline: { name: 'lower bound', ...one(lb.ms) },
      ratio: s.balanced.median / lb.ms,
      target: 'info',
      pass: null,
      note: 'includes Slurm starting 8 elements and wait polling once a second',
    },
  ];
}

/** One of 200 tasks 20× slower where it first runs (partition 0: a slow node), with and without backups. */
async function backups(ctx, dir, runs) {
  // The first copy of task 3 to start, whichever partition runs it, is the slow one (mkdir is atomic);
  // a backup copy is quick. The lock lives in results/, which every round starts without.
  const lock = join(dir, 'straggler.plan', 'results', 'slow.lock');
  const cmds = Array.from({ length: 200 }, (_, k) =>
    k === 3
      ? `mkdir -p '${dirname(lock)}'; if mkdir '${lock}' 2>/dev/null; then sleep 6; else sleep 0.3; fi`
      : 'sleep 0.3',
  );
  const p = planOf(dir, 'straggler', cmds);
  const superseded = [];
  const b = await rounds(runs, {
    without: () => partitions(p, { BATCHPLAN_BALANCE: '1', BATCHPLAN_BACKUP: 'off' }),
    with: () =>
      partitions(p, { BATCHPLAN_BALANCE: '1', BATCHPLAN_BACKUP: 'on' }, (plan) =>
        superseded.push(
          JSON.parse(runSync(batchplan('status', plan, '--json')).stdout).stages[0].superseded ?? 0,
        ),
      ),
  });
  ctx.log(`balance backups: without ${fmt.ms(b.without.median)}, with ${fmt.ms(b.with.median)}`);
  return [
    {
      case: `200 sleep 0.3 tasks, one 20× slower where it first runs, ${PARTS} × ${SLOTS}: balanced with backup tasks vs without`,
      unit: 'ms',
      batchplan: b.with,
      baseline: { name: 'balanced, no backups', ...b.without },
      ratio: b.with.median / b.without.median,
      target: 'info',
      pass: null,
      note: `tasks finished first by a backup copy, per round: ${superseded.join(', ')} (the slow copy stopped, recorded superseded)`,
    },
  ];
}
