// Block until the plan's submitted jobs have all ended, polling the scheduler gently.
import { BatchplanError } from '../errors.js';
import { readPlan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import { readSubmissions } from '../submit/record.js';
import { querySubmission } from '../submit/scheduler-state.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { note, printJson, Progress } from './output.js';
import { overallOf, planStatus, renderStatus } from './status.js';

/** Site admins ask for seconds between queries, never a busy loop. */
const MIN_INTERVAL = 1;

export default async function wait(
  planDir: string,
  opts: { interval: string; timeout?: string; json?: boolean },
): Promise<number> {
  const transport: Transport = localTransport;
  const plan = readPlan(planDir);
  const interval = Math.max(MIN_INTERVAL, durationFlag('--interval', opts.interval));
  const timeout = opts.timeout === undefined ? Infinity : durationFlag('--timeout', opts.timeout);
  const latest = readSubmissions(plan.dir).at(-1);
  if (!latest)
    throw new BatchplanError(
      'E_UNKNOWN_TASK',
      `plan ${plan.dir} has no recorded submission`,
      'Submit it first: batchplan submit <plan> <N> --runner slurm',
    );
  const progress = new Progress();
  const start = Date.now();
  let last = '';
  for (;;) {
    const state = await querySubmission(transport, latest);
    if (!state.active) break;
    if ((Date.now() - start) / 1000 >= timeout) {
      progress.done();
      note(`still running after ${opts.timeout}; giving up waiting (the jobs go on)`);
      return 124;
    }
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const p of state.partitions) counts[p.state]++;
    const line = `waiting for ${latest.runner} jobs ${latest.jobIds.join(',')}: ${counts.queued} queued, ${counts.running} running, ${counts.completed} completed, ${counts.failed} failed partition(s)`;
    if (process.stderr.isTTY) progress.update(line, true);
    else if (line !== last) note(line);
    last = line;
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
  progress.done();
  const stages = await planStatus(plan, transport);
  const overall = overallOf(stages);
  if (opts.json) printJson({ plan: plan.dir, stages, overall });
  else process.stdout.write(renderStatus(plan, stages));
  return overall.done ? 0 : 1;
}
