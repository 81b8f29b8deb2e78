// Combine the journals' view with the scheduler's: tasks of partitions still queued are `queued`
// (not pending work nobody is doing), and partitions whose job ended badly are listed with the
// scheduler's final state and exit code.
import type { Plan } from '../plan/read.js';
import { stageSlice } from '../plan/partition.js';
import type { LoadedStageStatus } from '../status/load.js';
import type { StageSummary } from '../status/plan-status.js';
import type { SubmissionState } from './scheduler-state.js';
import { neverClears } from './pending-reasons.js';

export interface JobProblem {
  partition: number;
  jobId: string;
  state: string;
  reason?: string;
  exitCode?: number;
  signal?: number;
}

export interface StageJobs {
  queued: number;
  running: number;
  completed: number;
  failed: number;
  /** Partitions whose job ended other than COMPLETED. */
  problems: JobProblem[];
  /** Queued partitions with the scheduler's reason (`stuck` when it cannot clear: pending-reasons.ts). */
  waiting?: (JobProblem & { reason: string; stuck?: true })[];
}

export type StageWithJobs = StageSummary & { queued?: number; jobs?: StageJobs };

export function overlayScheduler(
  plan: Plan,
  loaded: LoadedStageStatus[],
  stages: StageSummary[],
  state: SubmissionState,
): StageWithJobs[] {
  const n = state.submission.n;
  return stages.map((summary, k) => {
    const mine = state.partitions.filter((p) => p.stage === k || p.stage === -1);
    if (state.partitions.length === 0 && state.forgotten.length === 0) return summary;
    const jobs: StageJobs = { queued: 0, running: 0, completed: 0, failed: 0, problems: [] };
    let queued = 0;
    for (const p of mine) {
      jobs[p.state]++;
      if (p.state === 'failed')
        jobs.problems.push({
          partition: p.partition,
          jobId: p.jobId,
          state: p.schedulerState,
          ...(p.reason ? { reason: p.reason } : {}),
          ...(p.exitCode !== undefined ? { exitCode: p.exitCode } : {}),
          ...(p.signal ? { signal: p.signal } : {}),
        });
      if (p.state === 'queued' && p.reason)
        (jobs.waiting ??= []).push({
          partition: p.partition,
          jobId: p.jobId,
          state: p.schedulerState,
          reason: p.reason,
          ...(neverClears(p.reason) ? { stuck: true as const } : {}),
        });
      if (p.state === 'queued' && p.stage === k) {
        const slice = stageSlice(plan.file.stages[k]!, n, p.partition); // its own count wins over N
        for (let i = slice.start; i < slice.end; i++)
          if (loaded[k]!.status.stateOf(i) === 'pending') queued++;
      }
    }
    // Allocation layout: the one job covers every stage; while it waits, all pending work is queued.
    if (mine.some((p) => p.stage === -1 && p.state === 'queued')) queued = summary.pending;
    return { ...summary, pending: summary.pending - queued, queued, jobs };
  });
}
