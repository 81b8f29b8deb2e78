// The seam through which a task environment (e.g. Saturn Cloud's per-run layout) joins run-partition
// without the engine knowing it: a hook may count tasks as done from its own record, give an attempt
// its results directory, environment and a full copy of its output, and act when it ends.
// Registered in task-hooks.ts; keep hooks light: they load with run-partition on every compute node.
import type { TaskRecord } from '../plan/model.js';
import type { AttemptResult } from './attempt.js';

export interface HookPartition {
  /** The partition's task records, in order. */
  records: readonly TaskRecord[];
  /** The stage's shared results directory (tasks without a directory of their own). */
  stageResults: string;
  /** The stage's environment (the partition's, with the stage's env over it). */
  env: NodeJS.ProcessEnv;
  /** Where a hook echoes task output for the job's log. */
  jobLog: JobLog;
}

export interface JobLog {
  stdout: { write(b: Uint8Array): unknown };
  stderr: { write(b: Uint8Array): unknown };
}

export interface AttemptInfo {
  /** Global task index in the stage, attempt number (from 1), pool slot (from 0). */
  i: number;
  attempt: number;
  slot: number;
}

export interface AttemptHook {
  /** The task's results directory (made by the hook), instead of the stage's. */
  resultsDir?: string;
  /** Variables added to the task's environment. */
  env?: Record<string, string>;
  onStdout?: (b: Buffer) => void;
  onStderr?: (b: Buffer) => void;
  /**
   * After the attempt ended (state `interrupted` when stopped). A returned reason makes a
   * succeeded attempt fail with it (e.g. an upload that did not happen), so it is retried.
   */
  ended?(res: AttemptResult): string | undefined | Promise<string | undefined>;
}

export interface PartitionHook {
  /**
   * Whether the hook's own record shows the task done (then it is skipped like a success).
   * `resetAt`: the task's newest reset (retry, rerun; 0 when none): a record older than it is not done.
   */
  done?(rec: TaskRecord, resetAt: number): boolean;
  /** Called before each attempt starts; its promise is awaited before the launch. */
  attempt(rec: TaskRecord, info: AttemptInfo): AttemptHook | undefined | Promise<AttemptHook | undefined>;
  /** Waits for the hook's outstanding work; called once, after the last attempt. */
  close(): Promise<void>;
}

export interface TaskHook {
  name: string;
  /** Called once per partition; undefined when the hook has nothing to do for these tasks. */
  open(p: HookPartition): PartitionHook | undefined;
  /** For status and tasks: what the hook's own record says of tasks (see status/outside.ts). */
  outcomes?: {
    /** The task record field the hook reads: stages whose records lack it are not read at all. */
    field: keyof TaskRecord;
    /**
     * Per record, its exit code (a signal as its negative number) and when it was recorded (ms; unknown
     * counts as older than any reset), undefined where there is none.
     */
    read(
      records: readonly TaskRecord[],
      env: NodeJS.ProcessEnv,
      opts: { remote: boolean },
    ): ({ code: number; t?: number } | undefined)[];
  };
}
