// The compiled plan as the rest of batchplan sees it. `plan.json` stores PlanStage (see format.ts);
// each task is one TaskRecord line in tasks.jsonl.
import type { GpuShare } from './gpu-share.js';

/** A stage's effective settings: built-in defaults < spec `defaults` < the stage's own. */
export interface StageSettings {
  /** Tasks at once inside a partition; unset means "decide at run time" (allocation, machine). */
  nprocs?: number;
  /** The spec's gpus_per_slot: `gpus` GPUs for every `slots` slots (plan/gpu-share.ts). Unset: none bound. */
  gpusPerSlot?: GpuShare;
  retries: number;
  /** Seconds; unset means no timeout. */
  timeout?: number;
  /** Seconds before the first retry; doubles on each further retry (capped at 10 minutes). */
  backoff: number;
  env: Record<string, string>;
  cwd?: string;
  shell: string;
  /** Launch no more of the stage's tasks once this many have failed (exec/max-fails.ts). */
  maxFails?: number;
  /** Balanced mode (exec/balance.ts): the stage's partitions share its work. Unset: static. */
  balance?: boolean;
  /** Backup tasks (exec/balance-backup.ts): the threshold factor (`backup: true` is 3); unset: off. */
  backup?: number;
  /** Saturn's --skip-failures as the spec's skip_failures: tasks that failed are not run again. Unset: they are. */
  skipFailures?: true;
}

export interface PlanDefaults extends StageSettings {
  resources: Resources;
}

/** Scheduler resources per partition, normalised (time in seconds, memory as the user wrote it). */
export interface Resources {
  time?: number;
  cpusPerTask?: number;
  mem?: string;
  gpusPerTask?: number;
  gpus?: number;
  nodes?: number;
  account?: string;
  partition?: string;
  qos?: string;
  constraint?: string;
  /** Each runner's own settings (its verbatim scheduler args), by runner name. */
  runners?: { [runner: string]: RunnerSettings | undefined };
}

/** One runner's settings (the spec's `resources.<runner>`; descriptor.ts says what they mean). */
export interface RunnerSettings {
  args?: string[];
}

export interface PlanStage extends StageSettings {
  name: string;
  after: string[];
  /**
   * Set when tasks of this stage require tasks of earlier stages (deps/stage-<k>.json): the stages
   * of `after` it needs only task by task, so a runner may start a partition once the partitions it
   * needs are done instead of waiting for the whole stage.
   */
  requires?: string[];
  /** The `batchplan add` that appended it (plan/generations.ts); absent for the plan's own stages. */
  generation?: number;
  /** The first `urgent` tasks have the stage's highest priority: they start before its others. */
  urgent?: number;
  /**
   * The stage's own partition count (spec `partitions` or `tasks_per_partition`, at most one per
   * task): it wins over the N asked for (plan/partition.ts stagePartitions). Unset: N.
   */
  partitions?: number;
  /** Number of tasks, and the global index of the first one in tasks.jsonl. */
  tasks: number;
  firstTask: number;
  /** The stage's own resources only; `defaults.resources` of the plan apply under them. */
  resources: Resources;
}

/** One task as stored: only what differs from its stage's settings. */
export interface TaskRecord {
  id: string;
  cmd: string;
  env?: Record<string, string>;
  cwd?: string;
  retries?: number;
  timeout?: number;
  backoff?: number;
  /** Saturn layout: this task's directory for stdout, stderr, status_code and results/. */
  output?: string;
}

export const BUILTIN_SETTINGS: StageSettings = { retries: 0, backoff: 1, env: {}, shell: '/bin/sh' };

/** The threshold factor of backup tasks turned on without one (`backup: true`, BATCHPLAN_BACKUP=on). */
export const DEFAULT_BACKUP_FACTOR = 3;
