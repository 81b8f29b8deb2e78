import type { Resources } from '../plan/model.js';
import type { RunnerOptions } from './runner-options.js';
import type { ArraySubmission, SchedulerAdapter } from './scheduler.js';

export type { RunnerOptions } from './runner-options.js';

// The Runner interface: a runner declares what it is capable of and renders files from a plan's
// shape. Core code reads capabilities; it never branches on a runner's name.

export interface RunnerCapabilities {
  /** Environment variable a scheduler sets to the array index (run-partition reads it with `auto`). */
  partitionIndexEnv?: string;
  /** Whether that index counts from one. */
  oneBased: boolean;
  /** Largest array the scheduler accepts by default; more partitions are split (schedulers only). */
  maxArraySize?: number;
  /** Whether batchplan can submit, watch and cancel what this runner renders. */
  canSubmit: boolean;
  /** Whether running the entry file runs the partitions on this machine (no scheduler in between). */
  runsLocally: boolean;
  /** How a stage waits for the stages it follows, for the README's table. */
  dependencyStyle: string;
}

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
}

export interface RenderContext {
  /** Absolute plan directory path. */
  planDir: string;
  /** Partitions asked for per stage. */
  n: number;
  stages: RenderStage[];
  /** Shell code that runs batchplan; the script appends the arguments. */
  batchplanCommand: string;
  batchplanVersion: string;
  options: RunnerOptions;
}

export interface RenderedFile {
  /** Relative path of the file in the output directory. */
  path: string;
  content: string;
  executable: boolean;
}

export interface Runner {
  name: string;
  summary: string;
  capabilities: RunnerCapabilities;
  /**
   * generate-script/submit flags this runner uses beyond the common ones: option names, 'resources'
   * (--time, --cpus-per-task, … --constraint), and the verbatim-argument flags it takes.
   */
  options: (keyof RunnerOptions | 'resources' | 'sbatchArg' | 'qsubArg' | 'bsubArg')[];
  /** With 'resources' among the options: the resource keys it honours (default: all of them). */
  resourceKeys?: (keyof Resources)[];
  /** Pure: the files to write. The first one is the entry point (printed when there is no -o). */
  render(ctx: RenderContext): RenderedFile[];
  /**
   * Where partitions run in a container or on machines of their own (no shared file system with this
   * one): the batchplan command there, used unless --batchplan-command is given.
   */
  remoteBatchplanCommand?: string;
  /** For runners that can submit: how to talk to the scheduler (capabilities.canSubmit). */
  scheduler?: SchedulerAdapter;
  /** What to submit, in order (files from render). Required when the runner can submit. */
  submissions?(ctx: RenderContext): ArraySubmission[];
}
