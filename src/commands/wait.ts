// Block until the plan's submitted jobs have all ended (src/submit/wait.ts), showing progress.
import { readPlan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import type { PlanStatus } from '../submit/status.js';
import { planStatus } from '../submit/status.js';
import { jobCounts, waitForPlan } from '../submit/wait.js';
import type { Transport } from '../submit/transport.js';
import { note, Progress } from './output.js';
import { printStatus } from './status.js';

export interface WaitFlags {
  interval: string;
  timeout?: string;
  json?: boolean;
}

export default async function wait(planDir: string, opts: WaitFlags): Promise<number> {
  const plan = readPlan(planDir);
  return waitAndReport(plan.dir, opts, undefined, () => planStatus(plan));
}

/** The loop and its output, shared with `wait --remote` (which gets its final status there). */
export async function waitAndReport(
  planDir: string,
  opts: WaitFlags,
  transport: Transport | undefined,
  finalStatus: () => Promise<PlanStatus>,
): Promise<number> {
  const intervalS = durationFlag('--interval', opts.interval);
  const timeoutS = opts.timeout === undefined ? undefined : durationFlag('--timeout', opts.timeout);
  const progress = new Progress();
  let last = '';
  const result = await waitForPlan(planDir, {
    transport,
    intervalS,
    timeoutS,
    onPoll(state) {
      const c = jobCounts(state);
      const sub = state.submission;
      const line = `waiting for ${sub.runner} jobs ${sub.jobIds.join(',')}: ${c.queued} queued, ${c.running} running, ${c.completed} completed, ${c.failed} failed partition(s)`;
      if (process.stderr.isTTY) progress.update(line, true);
      else if (line !== last) note(line);
      last = line;
    },
  });
  progress.done();
  if (result.timedOut) {
    note(`still running after ${opts.timeout}; giving up waiting (the jobs go on)`);
    return 124;
  }
  const status = await finalStatus();
  printStatus(status, opts.json);
  return status.overall.done ? 0 : 1;
}
