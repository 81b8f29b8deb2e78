import { readPlan, type Plan } from '../plan/read.js';
import { TASK_STATES } from '../status/aggregate.js';
import { loadPlanStatus, summarize, type StageSummary } from '../status/plan-status.js';
import { overlayScheduler, type StageWithJobs } from '../submit/overlay.js';
import { readSubmissions } from '../submit/record.js';
import { getRunner } from '../runners/registry.js';
import { querySubmission } from '../submit/scheduler-state.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { printJson, table } from './output.js';

/** The plan's status, with the scheduler's view of its latest submission when there is one. */
export async function planStatus(
  plan: Plan,
  transport: Transport = localTransport,
): Promise<StageWithJobs[]> {
  const loaded = loadPlanStatus(plan);
  const stages = summarize(plan, loaded);
  const latest = readSubmissions(plan.dir).at(-1);
  const scheduler = latest && getRunner(latest.runner).scheduler;
  if (!latest || !scheduler || !(await transport.has(scheduler.queryArgv('0')[0]!))) return stages;
  return overlayScheduler(plan, loaded, stages, await querySubmission(transport, latest));
}

export default async function status(planDir: string, opts: { json?: boolean }): Promise<number> {
  const plan = readPlan(planDir);
  const stages = await planStatus(plan);
  const overall = overallOf(stages);
  if (opts.json) {
    printJson({ plan: plan.dir, stages, overall });
    return 0;
  }
  process.stdout.write(renderStatus(plan, stages));
  return 0;
}

export function renderStatus(plan: Plan, stages: StageWithJobs[]): string {
  const overall = overallOf(stages);
  const withQueue = stages.some((s) => s.queued !== undefined);
  const cols = withQueue ? (['queued', ...TASK_STATES] as const) : TASK_STATES;
  let out = `plan ${plan.dir}\n`;
  const count = (s: object, k: string) => (s as Record<string, number | undefined>)[k] ?? 0;
  out += table(
    ['stage', 'total', ...cols],
    stages.map((s) => [s.name, s.total, ...cols.map((k) => count(s, k))]),
  );
  const pct = overall.total ? ((100 * overall.succeeded) / overall.total).toFixed(1) : '100.0';
  const rest = ['queued', ...TASK_STATES].filter((k) => k !== 'succeeded' && count(overall, k) > 0);
  out += `overall: ${overall.succeeded}/${overall.total} succeeded (${pct}%)${rest.length ? `, ${rest.map((k) => `${count(overall, k)} ${k}`).join(', ')}` : ''}\n`;
  for (const s of stages) {
    if (!s.jobs) continue;
    const j = s.jobs;
    const parts = (['queued', 'running', 'completed', 'failed'] as const)
      .filter((k) => j[k])
      .map((k) => `${j[k]} ${k}`);
    if (parts.length) out += `  ${s.name} jobs: ${parts.join(', ')}\n`;
    for (const p of j.problems.slice(0, 10))
      out += `    partition ${p.partition} (job ${p.jobId}): ${p.state}${p.reason ? ` (${p.reason})` : ''}${p.exitCode !== undefined ? `, exit ${p.exitCode}${p.signal ? `, signal ${p.signal}` : ''}` : ''}\n`;
    if (j.problems.length > 10) out += `    … and ${j.problems.length - 10} more\n`;
  }
  return out;
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
