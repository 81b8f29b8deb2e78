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
  /**
   * The elements submitted when not every one of 0..size-1 is (a scheduler with `indexLists`: the
   * partitions left of a stage, however scattered, as one array `--array=0,4-6`), ascending.
   */
  indices?: readonly number[];
}

/** The elements of a submission: its index list, or 0..size-1. */
export const elementsOf = (sub: Pick<ArraySubmission, 'size' | 'indices'>): readonly number[] =>
  sub.indices ?? Array.from({ length: sub.size }, (_, e) => e);

// ---- Submission as data (built by submit-steps.ts, rendered by submit-script.ts) ----

/** The job id of an earlier step, by its position in the step list. */
export interface JobRef {
  job: number;
  /** Which of the step's ids (a step that submits one job per partition has several). Default 0. */
  index?: number;
  /**
   * Instead of the id, text chosen by whether the id names an array (`1234[].server`: Torque spells
   * a dependency on an array `afterokarray`): [when it does, when it does not].
   */
  ifArray?: readonly [string, string];
}

/** The directory the scripts were rendered into (`$here` in submit.sh). */
export const SCRIPTS = { scripts: true } as const;
/** The time of submission, ISO 8601 (for the record). */
export const NOW = { now: true } as const;

export type Piece = string | JobRef | typeof SCRIPTS | typeof NOW;
/** One argument word: its pieces joined. */
export type Word = readonly Piece[];
/** An argument word, or one word per job id of a step, each `prefix` + the id (Flux: one job per partition). */
export type Arg = Word | { eachJob: number; prefix: string };

/** A dependency of a submission on an earlier step's job(s). */
export interface Dependency {
  job: number;
  /**
   * `afterok`: the job must succeed (a stage barrier). `afterany`: it must have ended, however: a
   * stage needed only task by task (`requires`), whose failed tasks run-partition turns into
   * blocked dependants (only with a scheduler that has `narrow`).
   */
  type: 'afterok' | 'afterany';
  /** Only these array elements of the job (per-partition dependencies, from `narrow`). */
  elements?: number[];
  /**
   * Element by element (a scheduler with `pairs`): element e of this array waits only for element e
   * of that job's array, which has the same elements (Grid Engine's -hold_jid_ad).
   */
  paired?: boolean;
}

/** The command that submits one array (or plain job). */
export interface SubmitCommand {
  argv: Arg[];
  /** Environment variables set for the command only. */
  env?: readonly (readonly [string, string])[];
  /** A rendered file fed on standard input (LSF: bsub reads #BSUB lines only there). */
  stdin?: string;
}

export interface SubmitStep {
  sub: ArraySubmission;
  /**
   * A job submitted earlier and still queued or running (RenderContext.live): nothing is run for
   * this step, its id is this, and the steps after it depend on it as on any other.
   */
  live?: string;
  /** Steps whose jobs must succeed first (those of the stages this stage follows). */
  after: Dependency[];
  command: SubmitCommand;
  /**
   * Run after the submission, its id known (`{ job: <this step> }`): each narrows one array element's
   * dependencies to the partitions it needs. If one fails, that element keeps the stage barrier.
   */
  then?: SubmitCommand[];
}

/** How the submission command prints the job id(s). */
export interface JobIdFormat {
  /**
   * A regular expression one output line (trimmed) must match, the id its first group. Written in the
   * common subset of JavaScript and POSIX extended regular expressions: bash's `[[ =~ ]]` runs it too.
   */
  pattern: string;
  /** 'one': exactly one non-blank line; 'any': the first matching line; 'each': every line, one id each. */
  lines: 'one' | 'any' | 'each';
}

/** Word helper: `w('--dependency=afterok:', ref)`. */
export const w = (...pieces: Piece[]): Word => pieces;

/** Pieces of several jobs' ids separated by `sep` (`afterok:<a>:<b>`). */
export function joinJobs(refs: readonly { job: number }[], sep: string): Piece[] {
  return refs.flatMap(({ job }, k) => (k ? [sep, { job }] : [{ job }]));
}

/** The word naming a submission's script in the rendered directory. */
export const scriptWord = (sub: Pick<ArraySubmission, 'file'>): Word => [SCRIPTS, `/${sub.file}`];

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

export interface SubmitOptions {
  /** The earlier steps whose jobs must succeed first. */
  after: Dependency[];
  maxRunning?: number;
  /** The runner options the scripts were rendered with (e.g. PBS's --flavor, which spells the array). */
  options?: RunnerOptions;
}

/**
 * How to submit to a scheduler and cancel there: what `batchplan submit` runs and what submit.sh
 * renders (submit-steps.ts). Every scheduler runner has one; the query half (status, wait) is there
 * only where batchplan can watch the scheduler (capabilities.canSubmit).
 */
export interface SchedulerAdapter {
  /** Commands that must exist for submission (checked before submitting). */
  commands: string[];
  /** The command submitting one array (or plain job), its dependencies as job references. */
  submit(sub: ArraySubmission, opts: SubmitOptions): SubmitCommand;
  /** How the submission prints the job id(s): parsed by the same rule in TypeScript and in bash. */
  jobId: JobIdFormat;
  /**
   * It submits an array over a list of indices (Slurm's `--array=0,4-6`): the partitions left of a
   * stage are one array (per MaxArraySize span), not one per contiguous range (work-left.ts).
   */
  indexLists?: boolean;
  /** The smallest array it accepts (PBS Pro: 2); a smaller piece is submitted as a plain job. */
  minArraySize?: number;
  /**
   * Per-partition dependencies: the command that makes element `element` of step `self`'s array
   * wait for `after` only (element-level where `elements` are given). Absent: stage barriers.
   */
  narrow?(self: number, element: number, after: readonly Dependency[]): SubmitCommand;
  /**
   * Per-partition dependencies where they pair equal elements only: element e of an array can wait
   * for element e of an earlier array with the same elements (`paired` dependencies; Grid Engine's
   * -hold_jid_ad, which refuses arrays of different ranges). Used where every element needs at
   * most its own counterpart; otherwise the stage barrier stays.
   */
  pairs?: boolean;
  /**
   * A dependency can name some elements of an array (Slurm's afterok:<id>_<e>): a stage can wait for
   * the elements of an earlier array that are still running when others of it failed. Absent: only
   * whole jobs (a stage after such an array is not submitted while it runs).
   */
  elementDependencies?: boolean;
  /** The command that cancels jobs, the ids appended; dependants first where the scheduler needs it. */
  cancel: { argv: string[]; dependantsFirst?: boolean };
  /** argv printing the array elements of one job (pending, running and recently finished). */
  queryArgv?(jobId: string): string[];
  parseQuery?(stdout: string): PartitionJob[];
  /**
   * Whether a query that exited non-zero means the scheduler no longer knows the job (finished and
   * purged), from its exit status and stderr. Any other failure (a controller that does not answer)
   * says nothing of the job: it may still run. Absent: every failure is one (a query of all jobs).
   */
  unknownJob?(r: { exitCode: number; stderr: string }): boolean;
  /**
   * Where the query does not say why elements wait (Grid Engine): a command asking about one job
   * that has queued elements, run after the query, and how its output sets their reasons.
   */
  explain?: { argv(jobId: string): string[]; apply(stdout: string, jobs: PartitionJob[]): PartitionJob[] };
  /** argv printing the scheduler's configuration, and the largest array it accepts from it. */
  configArgv?: string[];
  parseMaxArraySize?(stdout: string): number | undefined;
}

/** A scheduler batchplan can also watch (status, wait, cancel of what is still queued or running). */
export type WatchedScheduler = SchedulerAdapter &
  Required<Pick<SchedulerAdapter, 'queryArgv' | 'parseQuery'>>;

/** Directory in the plan for the scheduler's own per-job output (one file per partition). */
export const JOBS_DIR = 'jobs';
