import { readPlan } from '../plan/read.js';
import { TASK_STATES } from '../status/aggregate.js';
import type { StageWithJobs } from '../submit/overlay.js';
import { overallOf, planStatus, type PlanStatus } from '../submit/status.js';
import { cancelledOnDependency } from '../progress/from-status.js';
import type { JobProblem } from '../submit/overlay.js';
import { plural, printJson, table } from './output.js';
import { neverClears } from '../submit/pending-reasons.js';

export { overallOf };

/**
 * One plan, or several (qdo's `list`): every plan is opened first, so a wrong path fails before
 * anything is printed; then one block per plan (text), or a JSON array of the one-plan objects.
 */
export default async function status(plans: string | string[], opts: { json?: boolean }): Promise<number> {
  const opened = (typeof plans === 'string' ? [plans] : plans).map((d) => readPlan(d));
  const all = [];
  for (const plan of opened) all.push(await planStatus(plan, undefined, { remote: true }));
  if (opened.length === 1) {
    printStatus(all[0]!, opts.json, opened[0]!.file.stages);
    return 0;
  }
  if (opts.json) {
    printJson(all.map((s) => ({ plan: s.plan, stages: s.stages, overall: s.overall })));
    return 0;
  }
  all.forEach((s, k) => {
    if (k > 0) process.stdout.write('\n');
    printStatus(s, false, opened[k]!.file.stages);
  });
  const done = all.filter((s) => s.overall.done).length;
  const failed = all.filter((s) => s.overall.failed > 0).length;
  process.stdout.write(
    `\nplans: ${all.length}, ${done} done, ${failed} with failed tasks, ${all.length - done - failed} with work left\n`,
  );
  return 0;
}

/** `after`: the stages' dependencies, to name the failed stage that a cancelled one needed. */
export function printStatus(s: PlanStatus, json?: boolean, after?: { after: string[] }[]): void {
  if (json) printJson({ plan: s.plan, stages: s.stages, overall: s.overall });
  else process.stdout.write(renderStatus(s.plan, s.stages, after));
  for (const stage of s.stages)
    if (stage.damagedLines)
      process.stderr.write(
        `batchplan: warning: stage ${stage.name}: ${stage.damagedLines} damaged journal line(s) skipped (under ${s.plan}/status); what they recorded is unknown\n`,
      );
}

export function renderStatus(
  planDir: string,
  stages: StageWithJobs[],
  after?: { after: string[] }[],
): string {
  const overall = overallOf(stages);
  const withQueue = stages.some((s) => s.queued !== undefined);
  // `blocked` (task-level dependencies) only where it happened, so other plans read as before.
  const states = TASK_STATES.filter((k) => k !== 'blocked' || stages.some((s) => s.blocked > 0));
  const cols = withQueue ? ['queued', ...states] : states;
  let out = `plan ${planDir}\n`;
  const count = (s: object, k: string) => (s as Record<string, number | undefined>)[k] ?? 0;
  out += table(
    ['stage', 'total', ...cols],
    stages.map((s) => [s.name, s.total, ...cols.map((k) => count(s, k))]),
  );
  const pct = overall.total ? ((100 * overall.succeeded) / overall.total).toFixed(1) : '100.0';
  const rest = ['queued', ...TASK_STATES].filter((k) => k !== 'succeeded' && count(overall, k) > 0);
  out += `overall: ${overall.succeeded}/${overall.total} succeeded (${pct}%)${rest.length ? `, ${rest.map((k) => `${count(overall, k)} ${k}`).join(', ')}` : ''}\n`;
  for (const s of stages)
    if (s.superseded)
      out += `stage ${s.name}: ${s.superseded} task(s) finished first by a backup copy; the slower copy was stopped (superseded)\n`;
  for (const s of stages) {
    if (!s.jobs) continue;
    const j = s.jobs;
    const parts = (['queued', 'running', 'completed', 'failed'] as const)
      .filter((k) => j[k])
      .map((k) => `${j[k]} ${k}`);
    if (parts.length) out += `  ${s.name} jobs: ${parts.join(', ')}\n`;
    out += problemLines(s.name, j.problems, stages, after?.[stages.indexOf(s)]);
    out += waitingLines(j.waiting ?? []);
  }
  return out;
}

/**
 * Partitions that ended badly, as counts: those the scheduler cancelled because a stage they need
 * failed read "not run: <stage> failed"; the others are grouped by state, reason and exit code with
 * their partition numbers (never job ids).
 */
function problemLines(
  name: string,
  problems: JobProblem[],
  stages: StageWithJobs[],
  after: { after: string[] } | undefined,
): string {
  let out = '';
  const cancelled = problems.filter(cancelledOnDependency);
  if (cancelled.length) {
    const failed = (after?.after ?? []).filter((d) => (stages.find((s) => s.name === d)?.failed ?? 0) > 0);
    const why = failed.length ? `${failed.join(', ')} failed` : 'a stage it needs failed';
    out += `    not run: ${why} (${plural(cancelled.length, 'partition')} cancelled by the scheduler)\n`;
  }
  const groups = new Map<string, JobProblem[]>();
  for (const p of problems) {
    if (cancelledOnDependency(p)) continue;
    const key = `${p.state}${p.reason ? ` (${p.reason})` : ''}${p.exitCode !== undefined ? `, exit ${p.exitCode}${p.signal ? `, signal ${p.signal}` : ''}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const [key, ps] of groups) {
    const list =
      ps
        .slice(0, 10)
        .map((p) => p.partition)
        .join(', ') + (ps.length > 10 ? `, … (${ps.length - 10} more)` : '');
    // One partition keeps its job id (for sacct and the job's log); a group lists partitions only.
    out +=
      ps.length === 1
        ? `    partition ${list} (job ${ps[0]!.jobId}): ${key}\n`
        : `    ${plural(ps.length, 'partition')} ${key}: ${list}\n`;
  }
  return out;
}

/**
 * Queued partitions grouped by the scheduler's reason, as counts with their partition numbers; a
 * reason that cannot clear says so and what it means (`wait` stops on it: E_JOBS_STUCK).
 */
function waitingLines(waiting: NonNullable<StageWithJobs['jobs']>['waiting'] & object): string {
  const groups = new Map<string, typeof waiting>();
  for (const w of waiting.filter((x) => x.stuck)) groups.set(w.reason, [...(groups.get(w.reason) ?? []), w]);
  let out = '';
  for (const [reason, ws] of groups) {
    const list =
      ws
        .slice(0, 10)
        .map((w) => w.partition)
        .join(', ') + (ws.length > 10 ? `, … (${ws.length - 10} more)` : '');
    const why = ws[0]!.stuck ? `, which does not clear by waiting: ${neverClears(reason)}` : '';
    out += `    ${plural(ws.length, 'partition')} queued (${reason}${why}): ${list}\n`;
  }
  return out;
}
