// A progress snapshot from a plan's status (journals + the scheduler's view), for `wait`.
import type { PlanStage } from '../plan/model.js';
import type { JobProblem, StageWithJobs } from '../submit/overlay.js';
import type { StageProgress } from './model.js';

/** A partition the scheduler cancelled because a job it depended on failed (Slurm's reason). */
export function cancelledOnDependency(p: JobProblem): boolean {
  return /^CANCELL?ED/.test(p.state) && /Dependency/i.test(p.reason ?? '');
}

/**
 * The stages that made this one not run: when every partition of it that ended was cancelled on a
 * dependency, the stages it is `after` that have failed tasks (or, if none is known, all of them).
 */
export function blockedBy(
  stage: StageWithJobs,
  planStage: Pick<PlanStage, 'after'>,
  all: StageWithJobs[],
): string[] | undefined {
  const j = stage.jobs;
  if (!j || j.problems.length === 0 || j.queued || j.running || j.completed) return undefined;
  if (!j.problems.every(cancelledOnDependency)) return undefined;
  const failed = planStage.after.filter((d) => (all.find((s) => s.name === d)?.failed ?? 0) > 0);
  const names = failed.length ? failed : planStage.after;
  return names.length ? names : undefined;
}

/**
 * `planStages` may be empty: `wait --remote` has the remote status but not the plan's `after`, and
 * then a stage cancelled on a dependency reads as cancelled, without naming the stage that failed.
 */
export function stagesProgress(
  stages: StageWithJobs[],
  planStages: Pick<PlanStage, 'after'>[],
): StageProgress[] {
  return stages.map((s, k) => {
    const blocked = blockedBy(s, planStages[k] ?? { after: [] }, stages);
    return {
      name: s.name,
      total: s.total,
      succeeded: s.succeeded,
      failed: s.failed,
      running: s.running,
      queued: s.queued ?? 0,
      ...(blocked ? { blockedBy: blocked } : {}),
    };
  });
}
