// A plan directory as an object: run it here, run one partition, submit/wait/cancel with a
// scheduler, read its status, tasks and logs. Each method is what the CLI command of the same
// name does, without printing.
import { barrierStages } from '../exec/prerequisite-stages.js';
import { BatchplanError } from '../errors.js';
import { writeSpecPlan } from '../commands/compile-spec.js';
import { runPartition, type PartitionResult } from '../exec/run-partition.js';
import { runPlan, type RunPlanOptions, type RunPlanResult } from '../exec/run-plan.js';
import { StopSignal } from '../exec/stop-signal.js';
import { findStage, readPlan, type Plan } from '../plan/read.js';
import { loadPlanStatus, summarize } from '../status/plan-status.js';
import { cancelPlan } from '../submit/cancel.js';
import { queuedRanges } from '../submit/queued.js';
import { planStatus, type PlanStatus } from '../submit/status.js';
import { addToPlan } from '../plan/add.js';
import {
  resetTasks,
  type ResetResult,
  type ResetSelection,
  type RerunState,
  type RetryState,
} from '../status/reset-tasks.js';
import { submit, type SubmitOutcome } from '../submit/submit-plan.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { waitForPlan, type WaitResult } from '../submit/wait.js';
import { VERSION } from '../version.js';
import { defineSpec, type BatchSpec } from './spec.js';
import { submitFlags, type SubmitOptions } from './submit-options.js';
import type { Spec } from '../spec/schema.js';
import { listTasks, readTaskLog, type TaskInfo, type TaskLog, type TaskQuery } from './tasks.js';

export interface CreatePlanOptions {
  /** Replace a plan already in `dir` (refused while its jobs are queued or running). */
  force?: boolean;
  /** Refuse a plan of more tasks than this (default 10 million). */
  maxTasks?: number;
}

export interface PartitionOptions {
  nprocs?: number;
  /** Leave tasks that failed in an earlier run alone (--skip-failures): not run again. */
  skipFailures?: boolean;
  /** Seconds between SIGTERM and SIGKILL when stopping tasks. */
  grace?: number;
  bindGpus?: boolean;
  /** Balanced mode (docs/balancing.md); over BATCHPLAN_BALANCE and the stage's `balance`. */
  balance?: boolean;
  env?: NodeJS.ProcessEnv;
  stop?: StopSignal;
}

/** Which tasks `retry` resets: of these stages, in these states (default: all but succeeded), or these ids. */
export type RetrySelection = ResetSelection<RetryState>;
/** Which tasks `rerun` resets: as for retry, succeeded tasks included; `force: true` says so. */
export type RerunSelection = ResetSelection<RerunState> & { force: true };

/** What `add` added: the new generation's number and stages, and the plan's task count now. */
export interface AddedStages {
  generation: number;
  stages: { name: string; tasks: number; after: string[] }[];
  totalTasks: number;
}

/** Compile a spec (from `defineSpec`, a plain object, or `loadSpec`) into a plan directory. */
export async function createPlan(
  spec: BatchSpec | Spec,
  dir: string,
  opts: CreatePlanOptions = {},
): Promise<BatchPlan> {
  const checked = 'loaded' in spec ? spec : defineSpec(spec);
  await writeSpecPlan(checked.loaded, dir, opts.force ?? false, {
    ...(opts.maxTasks !== undefined ? { maxTasks: opts.maxTasks } : {}),
  });
  return openPlan(dir);
}

/** A plan directory written earlier (by `createPlan` or `batchplan plan`). */
export function openPlan(dir: string): BatchPlan {
  return new BatchPlan(readPlan(dir));
}

export class BatchPlan {
  /** @internal */
  constructor(private plan: Plan) {}

  /** The plan directory, absolute. */
  get dir(): string {
    return this.plan.dir;
  }

  /** Stages in run order: name, number of tasks, own partition count if set, the stages they are `after`. */
  get stages(): { name: string; tasks: number; partitions?: number; after: string[] }[] {
    return this.plan.file.stages.map((s) => ({
      name: s.name,
      tasks: s.tasks,
      ...(s.partitions ? { partitions: s.partitions } : {}),
      after: [...s.after],
    }));
  }

  /**
   * Run every stage here, each as one partition, honouring `after`: independent stages at the
   * same time, a stage whose prerequisite failed not at all. Tasks that succeeded before are
   * skipped, so calling it again resumes.
   */
  run(opts: RunPlanOptions = {}): Promise<RunPlanResult> {
    return runPlan(this.plan, opts);
  }

  /**
   * Run partition `index` of `n` of one stage here (what a scheduler's array element runs).
   * Refused with E_STAGE_BLOCKED while a stage it is `after` has tasks that have not succeeded
   * (stages it needs only task by task, `requires`, do not count: their tasks are waited for).
   */
  async runPartition(
    stage: string,
    n: number,
    index: number,
    opts: PartitionOptions = {},
  ): Promise<PartitionResult> {
    const { stage: s } = findStage(this.plan, stage);
    const summaries = summarize(this.plan, loadPlanStatus(this.plan));
    const waiting = barrierStages(s).filter((d) => {
      const sum = summaries.find((x) => x.name === d);
      return sum !== undefined && sum.succeeded < sum.total;
    });
    if (waiting.length)
      throw new BatchplanError(
        'E_STAGE_BLOCKED',
        `stage ${s.name} is after ${waiting.join(', ')}, which ${waiting.length > 1 ? 'have' : 'has'} tasks that have not succeeded`,
        `Run ${waiting.join(', ')} first (or the whole plan with run()); see status() for what is left.`,
      );
    return runPartition(this.plan, { ...opts, stage: s.name, n, index, stop: opts.stop ?? new StopSignal() });
  }

  /** Counts per stage and state, with the scheduler's view when the plan was submitted. */
  status(opts: { transport?: Transport } = {}): Promise<PlanStatus> {
    return planStatus(this.plan, opts.transport ?? localTransport);
  }

  /**
   * Tasks, optionally of one state and one stage (`{ state: 'failed' }`), in plan order, as
   * `batchplan tasks` lists them: a pending task whose partition's job the scheduler still holds is
   * `queued` (asked of the scheduler where the plan was submitted, through `transport`).
   */
  async tasks(query: TaskQuery & { transport?: Transport } = {}): Promise<TaskInfo[]> {
    if (query.stage !== undefined) findStage(this.plan, query.stage); // before asking the scheduler
    return listTasks(this.plan, query, await queuedRanges(this.plan, query.transport ?? localTransport));
  }

  /** The stdout and stderr of a task's last finished attempt (or of attempt `attempt`). */
  logs(id: string, opts: { attempt?: number } = {}): TaskLog {
    return readTaskLog(this.plan, id, opts.attempt);
  }

  /**
   * Make tasks pending again (`batchplan retry`): by default every failed, lost, interrupted or
   * blocked task; `{ stage: ['merge'], state: ['failed'] }` or `{ id: ['merge.3'] }` picks fewer.
   * The next run() or submit() runs them. E_NO_MATCH (nothing written) when none is picked.
   */
  retry(selection: RetrySelection = {}): ResetResult {
    return resetTasks(this.plan, 'retry', selection);
  }

  /** Run tasks again, succeeded ones too (`batchplan rerun --force`): `rerun({ force: true, stage: ['merge'] })`. */
  rerun(selection: RerunSelection): ResetResult {
    return resetTasks(this.plan, 'rerun', selection);
  }

  /**
   * Append a spec's stages to the plan (`batchplan add`): its tasks may be `after` the plan's stages
   * or `requires` their tasks; what is there is unchanged, and the next run() or submit() takes up
   * what is left, which is the new stages.
   */
  async add(spec: BatchSpec | Spec, opts: { maxTasks?: number } = {}): Promise<AddedStages> {
    const checked = 'loaded' in spec ? spec : defineSpec(spec);
    const r = await addToPlan(
      this.plan.dir,
      checked.loaded,
      { batchplanVersion: VERSION },
      opts.maxTasks !== undefined ? { maxTasks: opts.maxTasks } : {},
    );
    this.plan = readPlan(this.plan.dir);
    return {
      generation: r.generation,
      stages: r.stages.map((s) => ({ name: s.name, tasks: s.tasks, after: [...s.after] })),
      totalTasks: r.file.totalTasks,
    };
  }

  /**
   * Render the scripts for a scheduler and submit them:
   * `submit({ runner: 'slurm', partitions: 64, time: '1:00:00', maxRunning: 16 })`. The options
   * are the flags of `batchplan submit` for that runner, camel-cased and typed.
   */
  async submit(
    options: SubmitOptions,
    opts: { transport?: Transport; dryRun?: boolean; force?: boolean } = {},
  ): Promise<SubmitOutcome> {
    const { n, flags } = submitFlags(options);
    return submit(this.plan.dir, n, flags, opts);
  }

  /**
   * Block until no job of the latest submission is queued or running, or until a partition is
   * queued for a reason that cannot clear (then `stuck` lists them; `waitWhenStuck` waits on).
   */
  wait(
    opts: { transport?: Transport; intervalS?: number; timeoutS?: number; waitWhenStuck?: boolean } = {},
  ): Promise<WaitResult> {
    return waitForPlan(this.plan.dir, opts);
  }

  /** Cancel every queued or running job the plan submitted. */
  cancel(opts: { transport?: Transport } = {}): Promise<{ cancelled: string[] }> {
    return cancelPlan(this.plan.dir, opts);
  }
}
