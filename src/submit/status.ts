// A plan's status: the journals' counts, with the scheduler's view of its latest submission
// (queued partitions, jobs that ended badly) when the scheduler can be asked.
import type { Plan } from '../plan/read.js';
import { getRunner } from '../runners/registry.js';
import { TASK_STATES } from '../status/aggregate.js';
import { loadPlanStatus, summarize, type StageSummary } from '../status/plan-status.js';
import { overlayScheduler, type StageWithJobs } from './overlay.js';
import { querySubmission } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import { localTransport, type Transport } from './transport.js';

export type Overall = ReturnType<typeof overallOf>;

export interface PlanStatus {
  plan: string;
  stages: StageWithJobs[];
  overall: Overall;
}

/**
 * The status of a plan read here; scheduler queries go through `transport`. `remote`: read task
 * records kept at URLs too (status/outside.ts).
 */
export async function planStatus(
  plan: Plan,
  transport: Transport = localTransport,
  opts: { remote?: boolean } = {},
): Promise<PlanStatus> {
  const loaded = loadPlanStatus(plan, opts);
  let stages: StageWithJobs[] = summarize(plan, loaded);
  const latest = (await submissionsOf(transport, plan.dir)).at(-1);
  const scheduler = latest && getRunner(latest.runner).scheduler;
  if (latest && scheduler?.queryArgv && (await transport.has(scheduler.queryArgv('0')[0]!)))
    stages = overlayScheduler(plan, loaded, stages, await querySubmission(transport, latest));
  return { plan: plan.dir, stages, overall: overallOf(stages) };
}

export function overallOf(stages: StageWithJobs[]) {
  const total = { total: 0, queued: 0, ...Object.fromEntries(TASK_STATES.map((k) => [k, 0])) } as Omit<
    StageSummary,
    'name'
  > & { queued: number };
  for (const s of stages) {
    total.total += s.total;
    total.queued += s.queued ?? 0;
    for (const k of TASK_STATES) total[k] += s[k];
  }
  return { ...total, done: total.succeeded === total.total };
}
