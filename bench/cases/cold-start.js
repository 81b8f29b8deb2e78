// Case 4, cold start: `batchplan run-partition --help` and `batchplan --version` against `node -e ''`
// (the floor for any Node.js program). run-partition starts once per array task on compute nodes,
// so its real start-up (a one-task partition of `true`, status recorded) is shown too.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchplan, interleaved, measure, NODE, runSync, scratchDir } from '../lib.js';

export const name = 'cold-start';

export async function run(ctx) {
  const runs = ctx.quick ? 7 : 15;
  const dir = scratchDir('cold');
  writeFileSync(join(dir, 'one.txt'), 'true\n');
  const plan = join(dir, 'one.plan');
  runSync(batchplan('plan', join(dir, 'one.txt'), '-o', plan));
  const res = await interleaved(
    runs,
    {
      node: async () => (await measure([NODE, '-e', ''])).ms,
      help: async () => (await measure(batchplan('run-partition', '--help'))).ms,
      version: async () => (await measure(batchplan('--version'))).ms,
      partition: async () => {
        rmSync(join(plan, 'status'), { recursive: true, force: true });
        return (await measure(batchplan('run-partition', plan, 'one', '1', '0'))).ms;
      },
    },
    { warmup: 2 },
  );
  const rows = [
    ['help', 'batchplan run-partition --help', '≤ 2×'],
    ['version', 'batchplan --version', '≤ 2×'],
    ['partition', 'run-partition of a 1-task partition (true)', 'info'],
  ].map(([key, what, target]) => ({
    case: `cold start: ${what}`,
    unit: 'ms',
    batchplan: res[key],
    baseline: { name: "node -e ''", ...res.node },
    ratio: res[key].median / res.node.median,
    target,
    pass: target === 'info' ? null : res[key].median / res.node.median <= 2,
  }));
  return rows;
}
