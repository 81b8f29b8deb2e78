// Plans shared by several cases: a matrix plan of a given size (the compile case leaves its last
// output here), and the same plan with every task recorded in 100 partitions' journals.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchplan, fmt, matrixShape, matrixSpec, NODE, ROOT, runSync, scratchDir } from '../lib.js';

export const PARTITIONS = 100;
/** One task in this many fails (exit 1), so that `tasks --state failed` has rows to print. */
export const FAIL_EVERY = 1000;

/** A compiled matrix plan of `tasks` tasks (stage `sweep`), without any status. */
export function matrixPlan(ctx, tasks) {
  const have = ctx.plans.get(tasks);
  if (have && existsSync(have.dir)) return have;
  const dir = scratchDir(`plan${tasks}`);
  const spec = join(dir, 'spec.yaml');
  writeFileSync(spec, matrixSpec(...matrixShape(tasks)));
  const plan = { dir: join(dir, 'sweep.plan'), stage: 'sweep' };
  runSync(batchplan('plan', spec, '-o', plan.dir));
  ctx.plans.set(tasks, plan);
  return plan;
}

/** The plan of `tasks` tasks with all of them recorded, as run in PARTITIONS partitions. */
export function recordedPlan(ctx, tasks) {
  const plan = matrixPlan(ctx, tasks);
  if (plan.recorded) return plan;
  rmSync(join(plan.dir, 'status'), { recursive: true, force: true });
  rmSync(join(plan.dir, 'results'), { recursive: true, force: true });
  const t0 = Date.now();
  runSync([
    NODE,
    join(ROOT, 'bench', 'record-journals.js'),
    plan.dir,
    plan.stage,
    String(PARTITIONS),
    String(FAIL_EVERY),
  ]);
  ctx.log(`recorded ${fmt.n(tasks)} tasks in ${PARTITIONS} journals (${Date.now() - t0} ms)`);
  plan.recorded = true;
  return plan;
}
