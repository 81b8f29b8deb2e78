// Case 5, footprint: the files in a plan directory after a big plan has run in 100 partitions, and
// the memory of run-partition on a 100-task partition of that plan against the same partition size
// of a 1,000-task plan.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { batchplan, countFiles, fmt, interleaved, measure } from '../lib.js';
import { matrixPlan, PARTITIONS, recordedPlan } from './fixtures.js';

export const name = 'footprint';

export async function run(ctx) {
  const bigTasks = ctx.quick ? 100_000 : 1_000_000;
  const big = matrixPlan(ctx, bigTasks);
  const small = matrixPlan(ctx, 1_000);
  const fresh = (plan) => {
    rmSync(join(plan.dir, 'status'), { recursive: true, force: true });
    rmSync(join(plan.dir, 'results'), { recursive: true, force: true });
  };
  // 100 tasks per partition in both plans; the big plan's partition sits in the middle of the file.
  const part = (plan, tasks) => {
    const n = tasks / 100;
    return batchplan('run-partition', plan.dir, plan.stage, String(n), String(n >> 1), '--nprocs', '2');
  };
  fresh(big);
  const rss = await interleaved(ctx.runs, {
    big: async () => {
      fresh(big);
      return (await measure(part(big, bigTasks), { rss: true })).rssKiB;
    },
    small: async () => {
      fresh(small);
      return (await measure(part(small, 1_000), { rss: true })).rssKiB;
    },
  });
  // What one real run-partition process leaves behind (the recorded plan below assumes the same).
  const perProcess = countFiles(join(big.dir, 'status'));
  const names = readdirSync(join(big.dir, 'status', 'stage-0')).map((f) => f.replace(/^[^.]*\./, '…'));
  ctx.log(`one run-partition wrote ${perProcess} files: ${names.join(', ')}`);

  const recorded = recordedPlan(ctx, bigTasks);
  const files = countFiles(recorded.dir);
  const limit = 3 * PARTITIONS + 10;
  const one = (v) => ({ median: v, min: v, max: v, runs: [v] });
  return [
    {
      case: `footprint: files in a ${fmt.n(bigTasks)}-task plan after ${PARTITIONS} partitions`,
      unit: 'files',
      batchplan: one(files),
      target: `≤ ${limit} (3 per partition + 10)`,
      pass: files <= limit,
      note: `one real run-partition process writes ${perProcess} files (journal + log); journals of the ${PARTITIONS} partitions written with the project's JournalWriter (bench/record-journals.js)`,
    },
    {
      case: `footprint: run-partition RSS, 100-task partition of ${fmt.n(bigTasks)} vs 1,000 tasks`,
      unit: 'KiB',
      batchplan: rss.big,
      baseline: { name: 'same partition size, 1,000-task plan', ...rss.small },
      ratio: rss.big.median / rss.small.median,
      target: '≤ 1.2×',
      pass: rss.big.median / rss.small.median <= 1.2,
      ...(ctx.quick ? { note: 'quick mode: 100,000-task plan' } : {}),
    },
  ];
}
