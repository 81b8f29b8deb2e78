// Case 6, Slurm end to end on the local cluster: T `true` tasks through batchplan (submit … 16
// --runner slurm, then wait) against the naive way, one array element per task, both until every
// task has finished. Submits only its own jobs and cancels only those if something goes wrong; never
// touches the cluster's configuration (other people's tests use it at the same time).
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchplan, fmt, have, interleaved, measure, runSync, scratchDir } from '../lib.js';

export const name = 'slurm';

const PARTITIONS = 16;
const FINISHED = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

/** Our own job ids still possibly active, cancelled on the way out if the bench is interrupted. */
export const ours = new Set();
export function cancelOwnJobs() {
  if (ours.size) runSync(['scancel', ...ours], { allowFail: true });
}

export function slurmUp() {
  if (!have('sbatch') || !have('squeue') || !have('sinfo')) return 'sbatch/squeue/sinfo not installed';
  const r = runSync(['sinfo', '-h', '-o', '%a %t'], { allowFail: true });
  if (r.status !== 0) return `sinfo failed: ${r.stderr.trim()}`;
  if (!/^up\s+(idle|mix|alloc)/m.test(r.stdout)) return `no usable node: ${r.stdout.trim()}`;
  return undefined;
}

/** Element states of a job: [active, finished] counts (squeue -t all keeps ended ones for MinJobAge). */
function elementStates(jobId) {
  const r = runSync(['squeue', '-h', '-t', 'all', '-r', '-j', jobId, '-o', '%T'], { allowFail: true });
  if (r.status !== 0) return { active: 0, finished: 0, completed: 0, gone: true };
  const states = r.stdout.split('\n').filter(Boolean);
  const finished = states.filter((s) => FINISHED.has(s)).length;
  return {
    active: states.length - finished,
    finished,
    completed: states.filter((s) => s === 'COMPLETED').length,
    gone: false,
  };
}

export async function run(ctx) {
  const why = slurmUp();
  if (why)
    return [
      { case: 'slurm end to end', unit: 'ms', target: '≥ 20× faster', pass: null, note: `skipped: ${why}` },
    ];
  const tasks = ctx.quick ? 200 : 2_000;
  const runs = ctx.quick ? 2 : ctx.runs;
  const dir = scratchDir('slurm');
  const cmds = join(dir, 'tasks.txt');
  writeFileSync(cmds, 'true\n'.repeat(tasks));
  const script = join(dir, 'naive.sh');
  writeFileSync(
    script,
    '#!/bin/sh\n# One array element per task: run line SLURM_ARRAY_TASK_ID + 1 of the commands file.\n' +
      'cmd=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$1")\nexec /bin/sh -c "$cmd"\n',
  );
  chmodSync(script, 0o755);
  let naiveKnown = 0;
  let bpKnown = 0;

  // The slowest case, and the last: it keeps the whole bench inside its time budget by running fewer
  // rounds when the machine is slow (the number of runs shows in the table's spread and the JSON).
  const res = await interleaved(
    runs,
    {
      batchplan: async (k) => {
        const plan = join(dir, `run${k}.plan`);
        runSync(batchplan('plan', cmds, '-o', plan));
        const t0 = performance.now();
        const sub = await measure(
          batchplan('submit', plan, String(PARTITIONS), '--runner', 'slurm', '--json'),
          {
            stdout: 'pipe',
          },
        );
        const jobIds = JSON.parse(sub.stdout).jobIds ?? [];
        jobIds.forEach((j) => ours.add(String(j)));
        await measure(batchplan('wait', plan, '--interval', '1s'), { stdout: 'ignore' });
        const ms = performance.now() - t0;
        jobIds.forEach((j) => ours.delete(String(j)));
        const st = JSON.parse(
          (await measure(batchplan('status', plan, '--json'), { stdout: 'pipe' })).stdout,
        );
        bpKnown = st.overall.succeeded + st.overall.failed;
        if (st.overall.succeeded !== tasks)
          throw new Error(`batchplan: ${st.overall.succeeded}/${tasks} succeeded`);
        return ms;
      },
      naive: async () => {
        const t0 = performance.now();
        const r = runSync([
          'sbatch',
          '--parsable',
          `--array=0-${tasks - 1}`,
          '-J',
          'bench-naive',
          '-o',
          '/dev/null',
          script,
          cmds,
        ]);
        const jobId = r.stdout.trim().split(';')[0];
        ours.add(jobId);
        // Poll as `batchplan wait --interval 1s` does: once a second.
        for (;;) {
          const s = elementStates(jobId);
          if (s.gone || s.active === 0) break;
          await sleep(1000);
        }
        const ms = performance.now() - t0;
        ours.delete(jobId);
        naiveKnown = elementStates(jobId).completed;
        return ms;
      },
    },
    { deadline: ctx.deadline },
  );
  ctx.log(
    `slurm ${fmt.n(tasks)}: batchplan ${fmt.ms(res.batchplan.median)}, naive array ${fmt.ms(res.naive.median)}`,
  );
  return [
    {
      case: `slurm end to end, ${fmt.n(tasks)} true tasks (batchplan: ${PARTITIONS} partitions)`,
      unit: 'ms',
      batchplan: res.batchplan,
      baseline: { name: `sbatch --array=0-${tasks - 1}, one element per task`, ...res.naive },
      ratio: res.batchplan.median / res.naive.median,
      target: '≤ 0.05× (≥ 20× faster)',
      pass: res.naive.median / res.batchplan.median >= 20,
      note:
        `status known at the end: batchplan ${fmt.n(bpKnown)}/${fmt.n(tasks)} tasks (its journals); ` +
        `naive ${fmt.n(naiveKnown)}/${fmt.n(tasks)} COMPLETED in squeue, kept only for MinJobAge (sacct is disabled here)` +
        (res.naive.runs.length < runs
          ? `; ${res.naive.runs.length} run(s) only, to stay within the time budget`
          : '') +
        (ctx.quick ? `; quick mode: ${tasks} tasks, not 2,000` : ''),
    },
  ];
}
