// Balanced mode (docs/balancing.md): makespans of one stage run as 8 partitions × 4 slots on this
// machine (8 run-partition processes at once, as 8 array elements would run), static against
// balanced, with GNU parallel -j 32 over the same commands (one global queue: the best one machine
// can do) and the lower bound max(total work / 32, longest task) beside them.
// - heterogeneous: 2,000 `sleep` tasks, seeded heavy-tailed durations whose long ones cluster in
//   neighbouring ids (neighbouring parameters cost alike);
// - uniform: every task alike (balanced mode must cost nothing there);
// - backup tasks: 200 tasks, one of them 20× slower where it first runs (a slow node), with and
//   without backup copies.
// `sleep` so that 32 tasks at once fit on 2 cores; durations scaled so that one makespan is seconds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { batchplan, fmt, have, measureSh, runSync, scratchDir, stats } from '../lib.js';

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

/** All 8 partitions at once; the makespan is from the first start to the last exit. */
async function partitions({ plan, stage }, env) {
  runSync(['rm', '-rf', join(plan, 'status'), join(plan, 'results')]);
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
  return performance.now() - t0;
}

async function rounds(n, fns) {
  const out = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < n; r++) for (const [k, fn] of Object.entries(fns)) out[k].push(await fn());
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, stats(v)]));
}

const one = (v) => ({ median: v, min: v, max: v, runs: [v] });

export async function run(ctx) {
  const dir = scratchDir('balance');
  const runs = ctx.quick ? 1 : Math.min(ctx.runs, 2);
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
  const fns = {
    static: () => partitions(het, STATIC),
    balanced: () => partitions(het, BALANCED),
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
  return [...rows, ...(await backups(ctx, dir, runs))];
}

/** One of 200 tasks 20× slower where it first runs (partition 0: a slow node), with and without backups. */
async function backups(ctx, dir, runs) {
  const cmds = Array.from({ length: 200 }, (_, k) =>
    k === 3 ? `if [ "$BATCHPLAN_PARTITION" = 0 ]; then sleep 6; else sleep 0.3; fi` : 'sleep 0.3',
  );
  const p = planOf(dir, 'straggler', cmds);
  const b = await rounds(runs, {
    without: () => partitions(p, { BATCHPLAN_BALANCE: '1', BATCHPLAN_BACKUP: '0' }),
    with: () => partitions(p, { BATCHPLAN_BALANCE: '1', BATCHPLAN_BACKUP: '3' }),
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
    },
  ];
}
