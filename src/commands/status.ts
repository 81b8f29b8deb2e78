import { readPlan } from '../plan/read.js';
import { TASK_STATES } from '../status/aggregate.js';
import type { StageWithJobs } from '../submit/overlay.js';
import { overallOf, planStatus, type PlanStatus } from '../submit/status.js';
import { printJson, table } from './output.js';

export { overallOf };

export default async function status(planDir: string, opts: { json?: boolean }): Promise<number> {
  printStatus(await planStatus(readPlan(planDir)), opts.json);
  return 0;
}

export function printStatus(s: PlanStatus, json?: boolean): void {
  if (json) printJson({ plan: s.plan, stages: s.stages, overall: s.overall });
  else process.stdout.write(renderStatus(s.plan, s.stages));
  for (const stage of s.stages)
    if (stage.damagedLines)
      process.stderr.write(
        `batchplan: warning: stage ${stage.name}: ${stage.damagedLines} damaged journal line(s) skipped (under ${s.plan}/status); what they recorded is unknown\n`,
      );
}

export function renderStatus(planDir: string, stages: StageWithJobs[]): string {
  const overall = overallOf(stages);
  const withQueue = stages.some((s) => s.queued !== undefined);
  const cols = withQueue ? (['queued', ...TASK_STATES] as const) : TASK_STATES;
  let out = `plan ${planDir}\n`;
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
