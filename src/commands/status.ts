import { readPlan } from '../plan/read.js';
import { TASK_STATES } from '../status/aggregate.js';
import { loadPlanStatus, summarize, type StageSummary } from '../status/plan-status.js';
import { printJson, table } from './output.js';

export default async function status(planDir: string, opts: { json?: boolean }): Promise<number> {
  const plan = readPlan(planDir);
  const stages = summarize(plan, loadPlanStatus(plan));
  const overall = overallOf(stages);
  if (opts.json) {
    printJson({ plan: plan.dir, stages, overall });
    return 0;
  }
  process.stdout.write(`plan ${plan.dir}\n`);
  process.stdout.write(
    table(
      ['stage', 'total', ...TASK_STATES],
      stages.map((s) => [s.name, s.total, ...TASK_STATES.map((k) => s[k])]),
    ),
  );
  const pct = overall.total ? ((100 * overall.succeeded) / overall.total).toFixed(1) : '100.0';
  const rest = TASK_STATES.filter((k) => k !== 'succeeded' && overall[k] > 0).map(
    (k) => `${overall[k]} ${k}`,
  );
  process.stdout.write(
    `overall: ${overall.succeeded}/${overall.total} succeeded (${pct}%)${rest.length ? `, ${rest.join(', ')}` : ''}\n`,
  );
  return 0;
}

export function overallOf(stages: StageSummary[]) {
  const total = { total: 0, ...Object.fromEntries(TASK_STATES.map((k) => [k, 0])) } as Omit<
    StageSummary,
    'name'
  >;
  for (const s of stages) {
    total.total += s.total;
    for (const k of TASK_STATES) total[k] += s[k];
  }
  return { ...total, done: total.succeeded === total.total };
}
