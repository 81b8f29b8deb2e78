// What a runner renders from and what it renders: the context of a plan for N partitions, and files.
// Its own module so that descriptor.ts, runner.ts and scheduler.ts share it without importing each other.
import type { GpuShare } from '../plan/gpu-share.js';
import type { Resources } from '../plan/model.js';
import type { PartitionNeeds } from '../plan/task-deps-format.js';

export interface RenderStage {
  name: string;
  /** What each partition asks the scheduler for: plan defaults < command-line flags < the stage's own. */
  resources: Resources;
  /** Position in the plan's stage order. */
  index: number;
  tasks: number;
  /** Partitions this stage really gets (at most its task count). */
  partitions: number;
  after: string[];
  /**
   * Stages of `after` this stage needs only task by task (task-level `requires`), with, per
   * partition of this stage, the partitions of each it needs (src/plan/task-deps-partitions.ts).
   */
  requires?: PartitionNeeds[];
  /**
   * The stage's gpus_per_slot, and the task slots per partition its GPU request counts (--nprocs,
   * else its nprocs, else its cpus_per_task, else 1): context.ts turned them into `resources.gpus`.
   */
  gpus?: { perSlot: GpuShare; slots: number };
}

/** Options every runner takes (besides its own, declared in its descriptor's flags). */
export interface CommonOptions {
  /** Tasks at once inside a partition. */
  nprocs?: number;
  /** run-partition --skip-failures: tasks that failed in an earlier run are not run again. */
  skipFailures?: boolean;
}

/** Options that submission reads where a runner declares them (common-flags.ts). */
export interface SchedulingOptions {
  maxRunning?: number;
  maxArraySize?: number;
}

/** Options of some runner: the common ones and what its flags produced (OptionsOf its flags). */
export type RunnerOptions = CommonOptions & SchedulingOptions & Record<string, unknown>;

export interface RenderContext<O extends object = RunnerOptions> {
  /** Absolute plan directory path. */
  planDir: string;
  /** Partitions asked for per stage. */
  n: number;
  stages: RenderStage[];
  /** Shell code that runs batchplan; the script appends the arguments. */
  batchplanCommand: string;
  batchplanVersion: string;
  options: CommonOptions & O;
  /**
   * Per stage index, the partitions that still have work as ranges [start, end) (work-left.ts):
   * schedulers submit only those. Unset, or unset for a stage: every partition.
   */
  left?: readonly (readonly (readonly [number, number])[] | undefined)[];
  /**
   * Jobs of earlier submissions still queued or running (`batchplan submit` asks the scheduler;
   * src/submit/live-jobs.ts): their partitions are not in `left`, and the stages after theirs wait
   * for them as for the arrays submitted now (submit-steps.ts).
   */
  live?: readonly LiveJob[];
}

/** A job of an earlier submission that is still queued or running. */
export interface LiveJob {
  stageIndex: number;
  jobId: string;
  /** The partitions its record gives it: [offset, offset + size). */
  offset: number;
  size: number;
  /** Its elements still queued or running (partition offset + e), ascending. */
  elements: readonly number[];
  /** Some element of it ended other than successfully: a wait for the whole job would never end well. */
  endedBadly: boolean;
}

export interface RenderedFile {
  /** Relative path of the file in the output directory. */
  path: string;
  content: string;
  executable: boolean;
}
