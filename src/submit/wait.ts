// Block until a plan's latest submission has no job queued or running (its record also lists the
// jobs of earlier submissions still live when it was made: record.ts `only`), polling the scheduler
// gently over the one transport it was given (over SSH: the one connection, never one per poll).
import { sleepLong } from '../util/long-timer.js';
import { BatchplanError } from '../errors.js';
import type { Submission } from './record.js';
import { querySubmission, type PartitionState, type SubmissionState } from './scheduler-state.js';
import { stuckPartitions } from './pending-reasons.js';
import { submissionsOf } from './submissions.js';
import { localTransport, type Transport } from './transport.js';

/** Site admins ask for seconds between queries, never a busy loop. */
export const MIN_INTERVAL_S = 1;

export interface WaitOptions {
  transport?: Transport;
  /** Seconds between queries (at least MIN_INTERVAL_S). */
  intervalS?: number;
  /** Give up after this many seconds (the jobs go on). */
  timeoutS?: number;
  /** Called after every query that found jobs still active (for a progress display). */
  onPoll?: (state: SubmissionState) => void;
  /** Keep waiting although a partition is queued for a reason that cannot clear (pending-reasons.ts). */
  waitWhenStuck?: boolean;
}

export interface WaitResult {
  submission: Submission;
  /** The last state seen: nothing active, unless timedOut. */
  state: SubmissionState;
  timedOut: boolean;
  /** Set when waiting stopped because these partitions are queued for a reason that cannot clear. */
  stuck?: PartitionState[];
}

export function noSubmission(planDir: string): BatchplanError {
  return new BatchplanError(
    'E_NOT_SUBMITTED',
    `plan ${planDir} has no recorded submission: it was never submitted to a scheduler`,
    `Submit it first: batchplan submit ${planDir} <N> --runner slurm (or another scheduler); a plan run here (batchplan run, generated scripts) has nothing to wait for: see batchplan status ${planDir}`,
  );
}

export async function waitForPlan(planDir: string, opts: WaitOptions = {}): Promise<WaitResult> {
  const transport = opts.transport ?? localTransport;
  const interval = Math.max(MIN_INTERVAL_S, opts.intervalS ?? 10);
  const timeout = opts.timeoutS ?? Infinity;
  const submission = (await submissionsOf(transport, planDir)).at(-1);
  if (!submission) throw noSubmission(planDir);
  const start = Date.now();
  for (;;) {
    const state = await querySubmission(transport, submission);
    // A job the scheduler could not be asked about may still run: asked again at the next poll.
    if (!state.active && state.unanswered.length === 0) return { submission, state, timedOut: false };
    const stuck = opts.waitWhenStuck ? [] : stuckPartitions(state);
    if (stuck.length) return { submission, state, timedOut: false, stuck };
    if ((Date.now() - start) / 1000 >= timeout) return { submission, state, timedOut: true };
    opts.onPoll?.(state);
    await sleepLong(interval * 1000); // a 30d interval is not 1 ms
  }
}

/** Partitions per scheduler state, for a one-line summary. */
export function jobCounts(state: SubmissionState) {
  const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
  for (const p of state.partitions) counts[p.state]++;
  return counts;
}
