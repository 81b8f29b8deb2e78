// Case 2, launch overhead: run-partition over T `true` tasks with 2 slots, status recorded, against
// xargs -P 2 running the same lines through `sh -c` (no record kept) and GNU parallel -j 2 --joblog
// (a record kept).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchplan,
  fmt,
  have,
  interleaved,
  measure,
  measureSh,
  NODE,
  ROOT,
  runSync,
  scale,
  scratchDir,
} from '../lib.js';

export const name = 'launch';

export async function run(ctx) {
  const tasks = ctx.quick ? 1_000 : 10_000;
  const dir = scratchDir('launch');
  const cmds = join(dir, 'tasks.txt');
  writeFileSync(cmds, 'true\n'.repeat(tasks));
  const plan = join(dir, 'tasks.plan');
  runSync(batchplan('plan', cmds, '-o', plan));
  const joblog = join(dir, 'joblog');
  const fns = {
    batchplan: async () => {
      rmSync(join(plan, 'status'), { recursive: true, force: true });
      rmSync(join(plan, 'results'), { recursive: true, force: true });
      return (await measure(batchplan('run-partition', plan, 'tasks', '1', '0', '--nprocs', '2'))).ms;
    },
    xargs: async () => (await measureSh(`xargs -P 2 -d '\\n' -n 1 sh -c < '${cmds}'`)).ms,
  };
  // Context, not a target: run-partition with Node's own spawn instead of the native launcher, and
  // the same spawns from a bare Node.js loop (bench/spawn-floor.js). A fifth of the tasks each
  // (per-task figures), to keep the bench within its time.
  const floorTasks = tasks / 5;
  const fifth = join(dir, 'fifth.plan');
  writeFileSync(join(dir, 'fifth.txt'), 'true\n'.repeat(floorTasks));
  runSync(batchplan('plan', join(dir, 'fifth.txt'), '-o', fifth));
  fns.spawnLauncher = async () => {
    rmSync(join(fifth, 'status'), { recursive: true, force: true });
    const argv = batchplan('run-partition', fifth, 'fifth', '1', '0', '--nprocs', '2');
    return (await measure(argv, { env: { BATCHPLAN_LAUNCHER: 'spawn' } })).ms;
  };
  fns.nodeFloor = async () =>
    (await measure([NODE, join(ROOT, 'bench', 'spawn-floor.js'), String(floorTasks), '2'])).ms;
  const parallel = have('parallel');
  if (parallel)
    fns.parallel = async () => {
      rmSync(joblog, { force: true });
      return (await measureSh(`parallel --will-cite -j 2 --joblog '${joblog}' < '${cmds}'`)).ms;
    };
  const res = await interleaved(ctx.runs, fns);
  const bp = res.batchplan;
  ctx.log(
    `launch ${fmt.n(tasks)}: ${fmt.ms(bp.median)} vs xargs ${fmt.ms(res.xargs.median)}${parallel ? `, parallel ${fmt.ms(res.parallel.median)}` : ''}`,
  );
  const label = `run-partition, ${fmt.n(tasks)} true tasks, 2 slots`;
  const quick = ctx.quick ? { note: 'quick mode: 1,000 tasks, not 10,000' } : {};
  const rows = [
    {
      case: `${label} vs xargs -P 2`,
      unit: 'ms',
      batchplan: bp,
      baseline: { name: 'xargs -P 2 sh -c', ...res.xargs },
      ratio: bp.median / res.xargs.median,
      target: '≤ 1.3×',
      pass: bp.median / res.xargs.median <= 1.3,
      ...quick,
    },
  ];
  if (parallel)
    rows.push({
      case: `${label} vs GNU parallel --joblog`,
      unit: 'ms',
      batchplan: bp,
      baseline: { name: 'parallel -j 2 --joblog', ...res.parallel },
      ratio: bp.median / res.parallel.median,
      target: '≤ 0.33× (≥ 3× faster)',
      pass: res.parallel.median / bp.median >= 3,
      ...quick,
    });
  rows.push({
    case: 'launch: time per task (2 slots)',
    unit: 'ms/task',
    batchplan: scale(bp, 1 / tasks),
    baseline: { name: 'xargs', ...scale(res.xargs, 1 / tasks) },
    ratio: bp.median / res.xargs.median,
    target: 'info',
    pass: null,
    note: `overhead over xargs: ${((bp.median - res.xargs.median) / tasks).toFixed(3)} ms per task`,
  });
  rows.push({
    case: `launch: run-partition with Node's spawn (BATCHPLAN_LAUNCHER=spawn, ${fmt.n(floorTasks)} tasks)`,
    unit: 'ms/task',
    batchplan: scale(res.spawnLauncher, 1 / floorTasks),
    baseline: { name: 'xargs', ...scale(res.xargs, 1 / tasks) },
    ratio: res.spawnLauncher.median / floorTasks / (res.xargs.median / tasks),
    target: 'info',
    pass: null,
    note: `the native launcher (the default) saves ${(res.spawnLauncher.median / floorTasks - bp.median / tasks).toFixed(3)} ms per task`,
  });
  rows.push({
    case: `launch: floor of Node.js spawn (bare loop of ${fmt.n(floorTasks)}, same spawn options, no journal)`,
    unit: 'ms/task',
    batchplan: scale(res.nodeFloor, 1 / floorTasks),
    baseline: { name: 'xargs', ...scale(res.xargs, 1 / tasks) },
    ratio: res.nodeFloor.median / floorTasks / (res.xargs.median / tasks),
    target: 'info',
    pass: null,
    note: `batchplan over this floor: ${(bp.median / tasks - res.nodeFloor.median / floorTasks).toFixed(3)} ms per task; the floor over xargs: ${(res.nodeFloor.median / floorTasks - res.xargs.median / tasks).toFixed(3)} ms per task`,
  });
  return rows;
}
