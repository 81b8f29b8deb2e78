// Ask the scheduler about a submission's jobs and map array elements back to (stage, partition).
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
}

/**
 * What the scheduler says of each job of `sub`, mapped to partitions. `asked`: answers already had
 * this time, by job id (a job carried over into a later record is asked about once).
 */
export async function querySubmission(
  transport: Transport,
  sub: Submission,
  asked: Map<string, PartitionJob[]> = new Map(),
): Promise<SubmissionState> {
  const runner = getRunner(sub.runner);
  const scheduler = runner.scheduler;
  const state: SubmissionState = { submission: sub, partitions: [], active: false, forgotten: [] };
  if (!scheduler?.queryArgv || !scheduler.parseQuery) return state;
  // Array indices as the scheduler counts them: a one-based scheduler's first element is partition offset + 0.
  const first = runner.capabilities.oneBased ? 1 : 0;
  for (const [k, jobId] of sub.jobIds.entries()) {
    let jobs = asked.get(jobId);
    if (!jobs) {
      const r = await transport.run(scheduler.queryArgv(jobId));
      jobs = r.exitCode === 0 ? scheduler.parseQuery(r.stdout).filter((j) => j.jobId === jobId) : [];
      // Why its queued elements wait, where the query does not say (its exit status says nothing:
      // Grid Engine's qalter -w v exits 1 exactly when it has found a reason).
      if (scheduler.explain && jobs.some((j) => j.state === 'queued'))
        jobs = scheduler.explain.apply((await transport.run(scheduler.explain.argv(jobId))).stdout, jobs);
      asked.set(jobId, jobs);
    }
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
