// Case 1, compile at scale: `batchplan plan` on a rows × cols matrix spec against awk writing the same
// command lines to a file (the I/O floor), peak memory, and the cost per task at three sizes.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  awkMatrix,
  batchplan,
  fmt,
  interleaved,
  linearity,
  matrixShape,
  matrixSpec,
  measure,
  measureSh,
  scale,
  scratchDir,
  stats,
} from '../lib.js';

export const name = 'compile';

export async function run(ctx) {
  const sizes = ctx.quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const dir = scratchDir('compile');
  const perSize = [];
  const rows = [];
  for (const tasks of sizes) {
    const [r, c] = matrixShape(tasks);
    const spec = join(dir, `m${tasks}.yaml`);
    writeFileSync(spec, matrixSpec(r, c));
    const big = tasks === sizes[sizes.length - 1];
    // The small sizes take little more than start-up, so the linearity figure rests on a difference
    // of two noisy medians: take three times the runs there (a run with 5 failed it on noise alone).
    const runs = big ? ctx.runs : ctx.runs * 3;
    const rss = [];
    let kept;
    const res = await interleaved(runs, {
      batchplan: async (k) => {
        const out = join(dir, `m${tasks}-${k}.plan`);
        const m = await measure(batchplan('plan', spec, '-o', out), { rss: true });
        rss.push(m.rssKiB);
        if (kept) rmSync(kept, { recursive: true, force: true });
        kept = out;
        return m.ms;
      },
      awk: async () => {
        const out = join(dir, `m${tasks}.txt`);
        const m = await measureSh(awkMatrix(r, c, out));
        rmSync(out, { force: true });
        return m.ms;
      },
    });
    ctx.plans.set(tasks, { dir: kept, stage: 'sweep' });
    perSize.push({ tasks, bp: res.batchplan, awk: res.awk, rss: rss.slice(-runs) });
    ctx.log(`compile ${fmt.n(tasks)}: ${fmt.ms(res.batchplan.median)} vs awk ${fmt.ms(res.awk.median)}`);
  }

  const top = perSize[perSize.length - 1];
  const label = `compile ${fmt.n(top.tasks)} tasks (${matrixShape(top.tasks).join(' × ')})`;
  rows.push({
    case: label,
    unit: 'ms',
    batchplan: top.bp,
    baseline: { name: 'awk, same lines', ...top.awk },
    ratio: top.bp.median / top.awk.median,
    target: '≤ 10×',
    // The target is for 1,000,000 tasks; at quick mode's 100,000 start-up weighs too much to judge.
    pass: ctx.quick ? null : top.bp.median / top.awk.median <= 10,
    ...(ctx.quick
      ? { note: 'quick mode: 100,000 tasks, not 1,000,000; the target applies at 1,000,000' }
      : {}),
  });
  const rssStats = stats(top.rss);
  rows.push({
    case: `${label}: peak RSS`,
    unit: 'KiB',
    batchplan: rssStats,
    target: '< 600 MiB',
    pass: rssStats.max < 600 * 1024,
  });
  for (const s of perSize)
    rows.push({
      case: `compile ${fmt.n(s.tasks)}: time per task`,
      unit: 'us/task',
      batchplan: scale(s.bp, 1000 / s.tasks),
      baseline: { name: 'awk', ...scale(s.awk, 1000 / s.tasks) },
      ratio: s.bp.median / s.awk.median,
      target: 'info',
      pass: null,
    });
  rows.push(
    linearity(
      'compile',
      perSize.map((s) => ({ n: s.tasks, ms: s.bp.median })),
    ),
  );
  return rows;
}
