// Case: `batchplan report` on the status case's largest recorded plan (1,000,000 tasks, 100
// journals, one task in 1,000 failed). The page aggregates (counts per stage), bins (40 duration
// bins per stage) and samples (at most 12,000 timeline bars: every attempt that did not simply
// succeed, then an even stride of the successes), so its size must not grow with the plan.
// Baseline: `batchplan status` on the same plan, which reads the same journals once.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { batchplan, fmt, interleaved, measure, scratchDir } from '../lib.js';
import { recordedPlan } from './fixtures.js';

export const name = 'report';

export async function run(ctx) {
  const tasks = ctx.quick ? 100_000 : 1_000_000;
  const plan = recordedPlan(ctx, tasks);
  const out = join(scratchDir('report'), 'report.html');
  const res = await interleaved(ctx.runs, {
    report: async () => (await measure(batchplan('report', plan.dir, '-o', out))).ms,
    status: async () => (await measure(batchplan('status', plan.dir))).ms,
  });
  const kib = statSync(out).size / 1024;
  ctx.log(
    `report ${fmt.n(tasks)}: ${fmt.ms(res.report.median)} (status ${fmt.ms(res.status.median)}), ${kib.toFixed(0)} KiB`,
  );
  const quick = ctx.quick ? { note: 'quick mode: 100,000 tasks, not 1,000,000' } : {};
  const one = (v) => ({ median: v, min: v, max: v, runs: [v] });
  return [
    {
      case: `report, ${fmt.n(tasks)} recorded tasks`,
      unit: 'ms',
      batchplan: res.report,
      baseline: { name: 'status, same plan', ...res.status },
      ratio: res.report.median / res.status.median,
      target: '< 10 s',
      pass: res.report.median < 10_000,
      ...quick,
    },
    {
      case: `report page size, ${fmt.n(tasks)} recorded tasks`,
      unit: 'KiB file',
      batchplan: one(kib),
      target: '< 1 MiB',
      pass: kib < 1024,
      note: 'self-contained HTML: counts aggregated, 40 duration bins per stage, at most 12,000 timeline bars',
      ...quick,
    },
  ];
}
