// Ask the scheduler about a submission's jobs and map array elements back to (stage, partition).
import { BatchplanError } from '../errors.js';
import { getRunner } from '../runners/registry.js';
import type { PartitionJob } from '../runners/scheduler.js';
import type { Submission } from './record.js';
import type { Transport } from './transport.js';

export interface PartitionState extends PartitionJob {
  /** Stage index, or -1 for a job that runs every stage. */
  stage: number;
  partition: number;
}

export interface SubmissionState {
  submission: Submission;
  partitions: PartitionState[];
  /** Some job is still queued or running. */
  active: boolean;
  /** Jobs the scheduler no longer knows (finished long ago, or purged). */
  forgotten: string[];
  /** Jobs it could not be asked about (the query failed: a controller that does not answer), with
   *  what the query said. Such a job may still be queued or running. */
  unanswered: { jobId: string; error: string }[];
}

/** What the scheduler said of a job: its elements, or why the query failed. */
export type Answer = PartitionJob[] | { failed: string };

/**
 * What the scheduler says of each job of `sub`, mapped to partitions. `asked`: answers already had
 * this time, by job id (a job carried over into a later record is asked about once).
 */
export async function querySubmission(
  transport: Transport,
  sub: Submission,
  asked: Map<string, Answer> = new Map(),
): Promise<SubmissionState> {
  const runner = getRunner(sub.runner);
  const scheduler = runner.scheduler;
  const state: SubmissionState = {
    submission: sub,
    partitions: [],
    active: false,
    forgotten: [],
    unanswered: [],
  };
  if (!scheduler?.queryArgv || !scheduler.parseQuery) return state;
  // Array indices as the scheduler counts them: a one-based scheduler's first element is partition offset + 0.
  const first = runner.capabilities.oneBased ? 1 : 0;
  for (const [k, jobId] of sub.jobIds.entries()) {
    let answer = asked.get(jobId);
    if (!answer) {
      const r = await transport.run(scheduler.queryArgv(jobId));
      if (r.exitCode === 0) answer = scheduler.parseQuery(r.stdout).filter((j) => j.jobId === jobId);
      else if (scheduler.unknownJob?.(r)) answer = [];
      else answer = { failed: r.stderr.trim() || `${scheduler.queryArgv(jobId)[0]} exited ${r.exitCode}` };
      // Why its queued elements wait, where the query does not say (its exit status says nothing:
      // Grid Engine's qalter -w v exits 1 exactly when it has found a reason).
      if (Array.isArray(answer) && scheduler.explain && answer.some((j) => j.state === 'queued'))
        answer = scheduler.explain.apply((await transport.run(scheduler.explain.argv(jobId))).stdout, answer);
      asked.set(jobId, answer);
    }
    if (!Array.isArray(answer)) {
      state.unanswered.push({ jobId, error: answer.failed });
      continue;
    }
    const jobs = answer;
    if (jobs.length === 0) state.forgotten.push(jobId);
    const array = sub.arrays[k]!;
    // A job carried over from an earlier submission: only the partitions it still ran then.
    const only = array.only && new Set(array.only);
    for (const job of jobs) {
      const partition = array.offset + job.arrayIndex - first;
      if (only && !only.has(partition)) continue;
      state.partitions.push({ ...job, stage: array.stage, partition });
      if (job.state === 'queued' || job.state === 'running') state.active = true;
    }
  }
  return state;
}

/** The job ids of a submission that are still queued or running. */
export function activeJobIds(state: SubmissionState): string[] {
  return [
    ...new Set(
      state.partitions.filter((p) => p.state === 'queued' || p.state === 'running').map((p) => p.jobId),
    ),
  ];
}

/**
 * Refuses to act on a submission some of whose jobs the scheduler could not be asked about: they
 * may still run, and submit would run their tasks a second time, plan --force orphan them, cancel
 * leave them running. `doing`: what is refused, for the message.
 */
export function refuseUnanswered(states: readonly SubmissionState[], doing: string): void {
  const unanswered = states.flatMap((s) => s.unanswered.map((u) => ({ ...u, runner: s.submission.runner })));
  if (unanswered.length === 0) return;
  const ids = [...new Set(unanswered.map((u) => u.jobId))];
  throw new BatchplanError(
    'E_SCHEDULER_QUERY',
    `cannot ask ${unanswered[0]!.runner} about job${ids.length > 1 ? 's' : ''} ${ids.join(', ')} of this plan: ${unanswered[0]!.error}; ${doing}`,
    'They may still be queued or running. Try again when the scheduler answers (its own commands, e.g. squeue or qstat, say when).',
  );
}
