// What batchplan needs from a scheduler to submit, watch and cancel: argv builders and output
// parsers only (pure, so they are tested against recorded real outputs). A Transport runs them.
import type { RunnerOptions } from './render-context.js';

/** One submission: an array over a stage's partitions [offset, offset + size), or one plain job. */
export interface ArraySubmission {
  /** The stage, or -1 for a job that runs every stage (Slurm's allocation layout). */
  stageIndex: number;
  array: boolean;
  /** Rendered script, relative to the rendered directory. */
  file: string;
  offset: number;
  size: number;
}

export type SchedulerJobState = 'queued' | 'running' | 'completed' | 'failed';

/** What the scheduler says about one partition (an array element). */
export interface PartitionJob {
  jobId: string;
  /** Array index as the scheduler numbers it (before adding the offset). */
  arrayIndex: number;
  state: SchedulerJobState;
  /** The scheduler's own words: PENDING, TIMEOUT, CANCELLED, … */
  schedulerState: string;
  reason?: string;
  exitCode?: number;
  signal?: number;
}

export interface SchedulerAdapter {
  /** Commands that must exist for submission (checked before submitting). */
  commands: string[];
  /**
   * argv that submits one array, depending on all of `after` (job ids) having succeeded. `options`:
   * the runner options the scripts were rendered with (e.g. PBS's --flavor, which spells the array).
   */
  submitArgv(
    sub: ArraySubmission,
    dir: string,
    opts: { after: string[]; maxRunning?: number; options?: RunnerOptions },
  ): string[];
  parseJobId(stdout: string): string;
  /** argv printing the array elements of one job (pending, running and recently finished). */
  queryArgv(jobId: string): string[];
  parseQuery(stdout: string): PartitionJob[];
  cancelArgv(jobIds: string[]): string[];
  /** argv printing the scheduler's configuration, and the largest array it accepts from it. */
  configArgv?: string[];
  parseMaxArraySize?(stdout: string): number | undefined;
}

/** Directory in the plan for the scheduler's own per-job output (one file per partition). */
export const JOBS_DIR = 'jobs';
