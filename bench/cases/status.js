// Case 3, status at scale: `batchplan status` and `batchplan tasks --state failed` on plans whose
// tasks have all been recorded (100 partitions' journals, one task in 1,000 failed), at three sizes.
// Baseline: reading every record once (`cat journals | wc -l`), the I/O floor of any status reader.
import { join } from 'node:path';
import { batchplan, fmt, interleaved, linearity, measure, measureSh } from '../lib.js';
import { FAIL_EVERY, recordedPlan } from './fixtures.js';

export const name = 'status';

export async function run(ctx) {
  const sizes = ctx.quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const per = [];
  for (const tasks of sizes) {
    const plan = recordedPlan(ctx, tasks);
    const journals = join(plan.dir, 'status', 'stage-0');
    const big = tasks === sizes[sizes.length - 1];
    const res = await interleaved(big ? ctx.runs : ctx.runs + 2, {
      status: async () => {
        const m = await measure(batchplan('status', plan.dir), { stdout: 'pipe' });
        if (!m.stdout.includes(`${tasks - Math.floor(tasks / FAIL_EVERY)}/${tasks} succeeded`))
          throw new Error(`status does not show every task: ${m.stdout}`);
        return m.ms;
      },
      list: async () => {
        const m = await measure(batchplan('tasks', plan.dir, '--state', 'failed'), { stdout: 'pipe' });
        const lines = m.stdout.trim().split('\n').length - 1;
        if (lines !== Math.floor(tasks / FAIL_EVERY))
          throw new Error(`tasks --state failed listed ${lines} tasks`);
        return m.ms;
      },
      read: async () => (await measureSh(`cat '${journals}'/*.jsonl | wc -l > /dev/null`)).ms,
    });
    per.push({ ...res, tasks }); // `tasks` is the size here; the command's figures are `list`
    ctx.log(
      `status ${fmt.n(tasks)}: ${fmt.ms(res.status.median)}, tasks --state failed ${fmt.ms(res.list.median)}, cat|wc ${fmt.ms(res.read.median)}`,
    );
  }
  const top = per[per.length - 1];
  const quick = ctx.quick ? { note: 'quick mode: 100,000 tasks, not 1,000,000' } : {};
  const rows = [];
  for (const [key, what] of [
    ['status', 'status'],
    ['list', 'tasks --state failed'],
  ]) {
    rows.push({
      case: `${what}, ${fmt.n(top.tasks)} recorded tasks`,
      unit: 'ms',
      batchplan: top[key],
      baseline: { name: 'cat journals | wc -l', ...top.read },
      ratio: top[key].median / top.read.median,
      target: '< 3 s',
      pass: top[key].median < 3000,
      ...quick,
    });
    rows.push(
      linearity(
        what,
        per.map((p) => ({ n: p.tasks, ms: p[key].median })),
      ),
    );
  }
  return rows;
}
