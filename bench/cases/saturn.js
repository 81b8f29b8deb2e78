// Saturn's per-run layout: run-partition over a 200-run Saturn batch file of `true` (nprocs 4, each
// run's stdout, stderr, results/ and status_code written) against saturn-client's own `sc batch` on
// the same file, in the same run. saturn-client comes from BATCHPLAN_BENCH_SC (a command that runs
// it, e.g. `python3 -m …` from its source in a scratch virtualenv) or `sc` on PATH; without it the
// row is skipped with a note (no package registry serves it here: fixtures/saturn/README.md).
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { batchplan, fmt, interleaved, measure, measureSh, runSync, scratchDir } from '../lib.js';

export const name = 'saturn';

function saturnClient() {
  const sc = process.env.BATCHPLAN_BENCH_SC || 'sc';
  const ok = spawnSync('/bin/sh', ['-c', `${sc} batch --help`], { stdio: 'ignore' }).status === 0;
  return ok ? sc : undefined;
}

export async function run(ctx) {
  const runs = 200;
  const label = `Saturn layout, ${runs} true runs, nprocs 4`;
  const sc = saturnClient();
  if (!sc)
    return [
      {
        case: `${label} vs sc batch`,
        unit: 'ms',
        target: '≤ 1×',
        pass: null,
        note: 'skipped: saturn-client not found (set BATCHPLAN_BENCH_SC to a command running its CLI)',
      },
    ];
  const dir = scratchDir('saturn');
  const out = join(dir, 'out');
  const batch = join(dir, 'batch.json');
  writeFileSync(
    batch,
    JSON.stringify({ nprocs: 4, remote_output_path: out, runs: Array(runs).fill({ cmd: 'true' }) }),
  );
  const plan = join(dir, 'batch.plan');
  runSync(batchplan('plan', batch, '-o', plan));
  const fns = {
    batchplan: async () => {
      rmSync(out, { recursive: true, force: true });
      rmSync(join(plan, 'status'), { recursive: true, force: true });
      return (await measure(batchplan('run-partition', plan, 'batch', '1', '0'), { allowFail: false })).ms;
    },
    scBatch: async () => {
      rmSync(out, { recursive: true, force: true });
      return (await measureSh(`${sc} batch '${batch}' >/dev/null 2>&1`)).ms;
    },
  };
  const res = await interleaved(ctx.runs, fns);
  ctx.log(`saturn ${runs}: ${fmt.ms(res.batchplan.median)} vs sc batch ${fmt.ms(res.scBatch.median)}`);
  const ratio = res.batchplan.median / res.scBatch.median;
  return [
    {
      case: `${label} vs sc batch`,
      unit: 'ms',
      batchplan: res.batchplan,
      baseline: { name: 'sc batch (saturn-client)', ...res.scBatch },
      ratio,
      target: '≤ 1×',
      pass: ratio <= 1,
    },
  ];
}
