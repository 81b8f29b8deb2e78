// Case scale: memory and time that stay flat as plans grow (issue 14).
//   - plan of a commands file of T lines against the T-task matrix (peak RSS and time);
//   - tasks listing all T tasks (peak RSS) against status of the same plan;
//   - status over journals of 100 tasks each: 1,000, 5,000 and 10,000 of them (time, linearity),
//     against cat | wc; and while 1,000 partitions are writing theirs;
//   - run of 10,000 true tasks (peak RSS) against plan + run-partition of the same tasks.
import { spawn } from 'node:child_process';
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
  NODE,
  ROOT,
  runSync,
  scratchDir,
  stats,
} from '../lib.js';

export const name = 'scale';

const TASKS_PER_JOURNAL = 100;

export async function run(ctx) {
  const T = ctx.quick ? 100_000 : 1_000_000;
  const runs = Math.min(ctx.runs, 2); // the big figures take seconds each
  const dir = scratchDir('scale');
  const quick = ctx.quick ? { note: `quick mode: ${fmt.n(T)} tasks` } : {};
  const rows = [];

  // 1. plan: commands file vs matrix, same commands.
  const [r, c] = matrixShape(T);
  const matrix = join(dir, 'm.yaml');
  writeFileSync(matrix, matrixSpec(r, c));
  const commands = join(dir, 'cmds.txt');
  runSync(['/bin/sh', '-c', awkMatrix(r, c, commands)]);
  const planOf = async (spec, out) => {
    rmSync(out, { recursive: true, force: true });
    return measure(batchplan('plan', spec, '-o', out), { rss: true });
  };
  const rss = { commands: [], matrix: [] };
  const plan = await interleaved(runs, {
    commands: async () => {
      const m = await planOf(commands, join(dir, 'c.plan'));
      rss.commands.push(m.rssKiB);
      return m.ms;
    },
    matrix: async () => {
      const m = await planOf(matrix, join(dir, 'm.plan'));
      rss.matrix.push(m.rssKiB);
      return m.ms;
    },
  });
  const cr = stats(rss.commands);
  const mr = stats(rss.matrix);
  rows.push(
    {
      case: `plan of a ${fmt.n(T)}-line commands file: peak RSS`,
      unit: 'KiB',
      batchplan: cr,
      baseline: { name: `the ${fmt.n(T)}-task matrix`, ...mr },
      ratio: cr.median / mr.median,
      target: '≤ 1.2× (was 609 MiB against 112 MiB)',
      pass: cr.median / mr.median <= 1.2,
      ...quick,
    },
    {
      case: `plan of a ${fmt.n(T)}-line commands file: time`,
      unit: 'ms',
      batchplan: plan.commands,
      baseline: { name: `the ${fmt.n(T)}-task matrix`, ...plan.matrix },
      ratio: plan.commands.median / plan.matrix.median,
      target: 'info (two passes over the file: one to check and count, one to write)',
      pass: null,
      ...quick,
    },
  );
  ctx.log(`plan commands ${fmt.mib(cr.median)} vs matrix ${fmt.mib(mr.median)}`);

  // 2. tasks listing every task of the commands plan (its tasks all pending) against status.
  const listed = join(dir, 'c.plan');
  const tasksRss = [];
  const statusRss = [];
  await interleaved(runs, {
    tasks: async () => tasksRss.push((await measure(batchplan('tasks', listed), { rss: true })).rssKiB),
    json: async () =>
      tasksRss.push((await measure(batchplan('tasks', listed, '--json'), { rss: true })).rssKiB),
    status: async () => statusRss.push((await measure(batchplan('status', listed), { rss: true })).rssKiB),
  });
  const tr = stats(tasksRss);
  const sr = stats(statusRss);
  rows.push({
    case: `tasks listing all ${fmt.n(T)} tasks (table and --json): peak RSS`,
    unit: 'KiB',
    batchplan: tr,
    baseline: { name: 'status of the same plan', ...sr },
    ratio: tr.median / sr.median,
    target: '≤ 1.5× status (was 500 MiB, then a stack overflow)',
    pass: tr.median / sr.median <= 1.5,
    ...quick,
  });
  ctx.log(`tasks ${fmt.mib(tr.median)} vs status ${fmt.mib(sr.median)}`);

  // 3. status over journals of 100 tasks each, at three counts of journals.
  // Steps of 400,000 and 500,000 tasks: from 100 journals the first step was lost in start-up noise.
  const counts = ctx.quick ? [100, 500, 1_000] : [1_000, 5_000, 10_000];
  const per = [];
  for (const journals of counts) {
    const tasks = journals * TASKS_PER_JOURNAL;
    const p = await recorded(ctx, dir, tasks, journals);
    const res = await interleaved(journals === counts[counts.length - 1] ? runs : runs + 1, {
      status: async () => {
        const m = await measure(batchplan('status', p), { stdout: 'pipe' });
        if (!m.stdout.includes(`${tasks}/${tasks} succeeded`)) throw new Error(`status: ${m.stdout}`);
        return m.ms;
      },
      read: async () => (await measureSh(`cat '${p}'/status/stage-0/*.jsonl | wc -l > /dev/null`)).ms,
    });
    per.push({ ...res, n: tasks, journals });
    ctx.log(`status over ${fmt.n(journals)} journals: ${fmt.ms(res.status.median)}`);
  }
  const top = per[per.length - 1];
  rows.push(
    {
      case: `status over ${fmt.n(top.journals)} journals of ${TASKS_PER_JOURNAL} tasks (${fmt.n(top.n)} tasks)`,
      unit: 'ms',
      batchplan: top.status,
      baseline: { name: 'cat journals | wc -l', ...top.read },
      ratio: top.status.median / top.read.median,
      target: '< 3 s',
      pass: top.status.median < 3000,
      ...quick,
    },
    linearity(
      `status over ${counts.map(fmt.n).join(' / ')} journals`,
      per.map((x) => ({ n: x.n, ms: x.status.median })),
    ),
  );

  // 4. status while 1,000 partitions write their journals.
  const writing = ctx.quick ? 100 : 1_000;
  const live = join(dir, 'live');
  writeFileSync(`${live}.yaml`, matrixSpec(r, c));
  runSync(batchplan('plan', `${live}.yaml`, '-o', `${live}.plan`));
  const writer = spawn(
    NODE,
    [join(ROOT, 'bench', 'write-journals-live.js'), `${live}.plan`, 'sweep', String(writing)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((res, rej) => {
    writer.stdout.once('data', res);
    writer.once('exit', (code) => rej(new Error(`write-journals-live exited ${code}`)));
  });
  let during;
  try {
    during = await interleaved(runs + 1, {
      status: async () => {
        const m = await measure(batchplan('status', `${live}.plan`), { stdout: 'pipe' });
        if (!/running/.test(m.stdout)) throw new Error(`status: ${m.stdout}`);
        return m.ms;
      },
      read: async () => (await measureSh(`cat '${live}.plan'/status/stage-0/*.jsonl | wc -l > /dev/null`)).ms,
    });
  } finally {
    writer.kill('SIGTERM');
    await new Promise((res) => writer.once('exit', res));
  }
  rows.push({
    case: `status while ${fmt.n(writing)} partitions write their journals (${fmt.n(T)}-task stage)`,
    unit: 'ms',
    batchplan: during.status,
    baseline: { name: 'cat journals | wc -l, same moments', ...during.read },
    ratio: during.status.median / during.read.median,
    target: '< 3 s',
    pass: during.status.median < 3000,
    ...quick,
  });
  ctx.log(`status while ${writing} write: ${fmt.ms(during.status.median)}`);

  // 5. run of 10,000 true tasks against plan + run-partition of them.
  const n = ctx.quick ? 2_000 : 10_000;
  const spec = join(dir, 'true.yaml');
  writeFileSync(
    spec,
    `stages:\n  - name: t\n    template: "true {{i}}"\n    matrix:\n      i: {range: [0, ${n}]}\n`,
  );
  const runRss = [];
  const partRss = [];
  await interleaved(runs, {
    run: async () => {
      const out = join(dir, 'run.plan');
      rmSync(out, { recursive: true, force: true });
      runRss.push((await measure(batchplan('run', spec, '-o', out), { rss: true })).rssKiB);
    },
    partition: async () => {
      const out = join(dir, 'part.plan');
      rmSync(out, { recursive: true, force: true });
      runSync(batchplan('plan', spec, '-o', out));
      partRss.push((await measure(batchplan('run-partition', out, 't', '1', '0'), { rss: true })).rssKiB);
    },
  });
  const rr = stats(runRss);
  const pr = stats(partRss);
  rows.push({
    case: `run of ${fmt.n(n)} true tasks: peak RSS`,
    unit: 'KiB',
    batchplan: rr,
    baseline: { name: 'run-partition of the same plan', ...pr },
    ratio: rr.median / pr.median,
    target: '≤ 1.15× (was 162 MiB against ~100 MiB)',
    pass: rr.median / pr.median <= 1.15,
    ...(ctx.quick ? { note: `quick mode: ${fmt.n(n)} tasks` } : {}),
  });
  ctx.log(`run ${fmt.mib(rr.median)} vs run-partition ${fmt.mib(pr.median)}`);
  return rows;
}

/** A plan of `tasks` tasks whose every task is recorded, in `journals` journals. */
async function recorded(ctx, dir, tasks, journals) {
  const base = join(dir, `rec${journals}`);
  writeFileSync(`${base}.yaml`, matrixSpec(...matrixShape(tasks)));
  runSync(batchplan('plan', `${base}.yaml`, '-o', `${base}.plan`));
  const t0 = Date.now();
  // Four recorders at once: a journal costs three fdatasyncs, which they share.
  const ways = 4;
  await Promise.all(
    Array.from({ length: ways }, (_, k) =>
      measure([
        NODE,
        join(ROOT, 'bench', 'record-journals.js'),
        `${base}.plan`,
        'sweep',
        String(journals),
        '0',
        String(Math.floor((journals * k) / ways)),
        String(Math.floor((journals * (k + 1)) / ways)),
      ]),
    ),
  );
  ctx.log(`recorded ${fmt.n(tasks)} tasks in ${fmt.n(journals)} journals (${Date.now() - t0} ms)`);
  return `${base}.plan`;
}
