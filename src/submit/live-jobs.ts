// The jobs of a plan that the scheduler still has queued or running, over every submission record,
// each job asked about once (a record carries the live jobs of earlier ones: record.ts `only`), with
// the partitions each still holds: what `submit` must not submit again and what it makes wait.
import { indexRanges } from '../runners/array-chunks.js';
import { getRunner } from '../runners/registry.js';
import type { PartitionJob } from '../runners/scheduler.js';
import { querySubmission, refuseUnanswered, type Answer } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import type { Transport } from './transport.js';

export interface LivePlanJob {
  runner: string;
  /** The N of the submission that made it (its partitions are numbered for that N). */
  n: number;
  jobId: string;
  /** Stage index, or -1 for a job that runs every stage. */
  stage: number;
  /** The partitions its first record gives it: [offset, offset + size). */
  offset: number;
  size: number;
  /** Its partitions still queued or running, ascending. */
  partitions: number[];
  /** Some element of it ended other than successfully. */
  endedBadly: boolean;
}

const isLive = (j: Pick<PartitionJob, 'state'>) => j.state === 'queued' || j.state === 'running';
const jobsOf = (a: Answer | undefined): PartitionJob[] => (Array.isArray(a) ? a : []);

/** In submission order (oldest first); records of a scheduler whose commands are not here are skipped. */
export async function liveJobsOfPlan(transport: Transport, planDir: string): Promise<LivePlanJob[]> {
  const asked = new Map<string, Answer>();
  const byId = new Map<string, LivePlanJob>();
  for (const sub of await submissionsOf(transport, planDir)) {
    const scheduler = getRunner(sub.runner).scheduler;
    // No scheduler here (a record copied from elsewhere): it cannot have jobs here.
    if (!scheduler?.queryArgv) continue;
    if (!(await Promise.all(scheduler.commands.map((c) => transport.has(c)))).every(Boolean)) continue;
    const state = await querySubmission(transport, sub, asked);
    refuseUnanswered([state], 'nothing was submitted (their partitions would run a second time)');
    sub.jobIds.forEach((jobId, k) => {
      const held = state.partitions.filter((p) => p.jobId === jobId && isLive(p)).map((p) => p.partition);
      if (held.length === 0) return;
      const entry = sub.arrays[k]!;
      const known = byId.get(jobId);
      if (known) {
        known.partitions = [...new Set([...known.partitions, ...held])].sort((a, b) => a - b);
        return;
      }
      byId.set(jobId, {
        runner: sub.runner,
        n: sub.n,
        jobId,
        stage: entry.stage,
        offset: entry.offset,
        size: entry.size,
        partitions: [...new Set(held)].sort((a, b) => a - b),
        // Over every element the scheduler still knows, not only this record's.
        endedBadly: jobsOf(asked.get(jobId)).some((j) => j.state === 'failed'),
      });
    });
  }
  return [...byId.values()];
}

/** `extract 0-3 (job 123)`-style text for messages: each job with its stage and partitions. */
export function describeLive(jobs: readonly LivePlanJob[], stageName: (k: number) => string): string {
  return jobs
    .map((j) => {
      const where = j.stage < 0 ? 'every stage' : `stage ${stageName(j.stage)}`;
      return `job ${j.jobId} (${where}, partition${j.partitions.length > 1 ? 's' : ''} ${indexRanges(j.partitions)})`;
    })
    .join(', ');
}
