// Run every stage of a plan here, each stage as one partition, honouring `after`: a stage starts as
// soon as every stage it needs has finished with no failed task, so independent stages run at the
// same time; a stage whose prerequisite failed (or was itself not run) is not run at all.
import { barrierStages, taskLevelStages } from './prerequisite-stages.js';
import type { Plan } from '../plan/read.js';
import { runPartition, type PartitionProgress, type PartitionResult } from './run-partition.js';
import { StopSignal } from './stop-signal.js';

export interface RunPlanOptions {
  /** Task slots per stage (default: the stage's `nprocs`, else the CPUs allocated here). */
  nprocs?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping tasks. */
  grace?: number;
  /** A stage launches no more tasks once this many of its tasks have failed (over its `max_fails`). */
  maxFails?: number;
  /** Leave tasks that failed in an earlier run alone (not run again; they stay failed). */
  skipFailures?: boolean;
  /** Bind GPUs in every stage, not only those with gpus_per_slot (the visible GPUs dealt to the slots). */
  bindGpus?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Stop everything early (the tasks running get SIGTERM); a new one is made if absent. */
  stop?: StopSignal;
  onStageStart?: (stage: string) => void;
  onProgress?: (stage: string, p: PartitionProgress) => void;
  onStageEnd?: (outcome: StageOutcome) => void;
}

export interface StageOutcome {
  stage: string;
  /** The partition's result; absent when the stage was not run. */
  result?: PartitionResult;
  /** Stages it is `after` that failed or were not run: why this one was not run. */
  blockedBy?: string[];
}

export interface RunPlanResult {
  /** In plan order. A stage not reached because of a stop has neither result nor blockedBy. */
  stages: StageOutcome[];
  /** Every stage ran and no task failed or was interrupted. */
  ok: boolean;
  signal?: NodeJS.Signals;
}

/** A stage that ran with a failed, interrupted or (--max-fails) not started task: its dependants do not run. */
export function stageFailed(r: PartitionResult): boolean {
  return (
    r.failed > 0 ||
    r.interrupted > 0 ||
    (r.notStarted ?? 0) > 0 ||
    (r.blocked ?? 0) > 0 ||
    (r.failedLeft ?? 0) > 0
  );
}

export async function runPlan(plan: Plan, opts: RunPlanOptions = {}): Promise<RunPlanResult> {
  const stop = opts.stop ?? new StopSignal();
  const stages = plan.file.stages;
  const outcomes: StageOutcome[] = stages.map((s) => ({ stage: s.name }));
  const byName = new Map(stages.map((s, k) => [s.name, k]));
  const ended = new Set<string>(); // finished with no failure
  const broken = new Set<string>(); // failed, or not run
  const started = new Set<number>();
  const running = new Map<number, Promise<void>>();
  // Stages that bind GPUs run one at a time: each deals every visible GPU to its slots, so two at
  // once would hand the same GPU to two tasks. Other stages still run beside them.
  const bindsGpus = (k: number) => opts.bindGpus || stages[k]!.gpusPerSlot !== undefined;
  const gpuStageRunning = () => [...running.keys()].some(bindsGpus);

  const launch = (k: number) => {
    const name = stages[k]!.name;
    started.add(k);
    opts.onStageStart?.(name);
    const p = runPartition(plan, {
      stage: name,
      // The whole stage, whatever partition count it sets for schedulers.
      n: 1,
      index: 0,
      exactN: true,
      stop,
      ...(opts.nprocs !== undefined ? { nprocs: opts.nprocs } : {}),
      ...(opts.grace !== undefined ? { grace: opts.grace } : {}),
      ...(opts.maxFails !== undefined ? { maxFails: opts.maxFails } : {}),
      ...(opts.skipFailures ? { skipFailures: true } : {}),
      ...(opts.bindGpus ? { bindGpus: true } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      onProgress: (pr) => opts.onProgress?.(name, pr),
      // Task-level prerequisites run here, in this process: wait for them however long they take.
      prerequisiteWait: Infinity,
    }).then((result) => {
      running.delete(k);
      outcomes[k]!.result = result;
      (stageFailed(result) ? broken : ended).add(name);
      opts.onStageEnd?.(outcomes[k]!);
    });
    running.set(k, p);
  };

  for (;;) {
    let changed = true;
    while (changed) {
      changed = false;
      for (const [k, s] of stages.entries()) {
        if (started.has(k)) continue;
        // Stages needed task by task only (requires) start it once they have started, and their
        // failures block only the tasks that need them (run-partition records those blocked).
        const taskLevel = taskLevelStages(s);
        const blockedBy = barrierStages(s).filter((d) => broken.has(d));
        if (blockedBy.length) {
          started.add(k);
          broken.add(s.name);
          outcomes[k]!.blockedBy = blockedBy;
          opts.onStageEnd?.(outcomes[k]!);
          changed = true;
        } else if (
          !stop.signal &&
          !(bindsGpus(k) && gpuStageRunning()) &&
          s.after.every(
            (d) => ended.has(d) || !byName.has(d) || (taskLevel.has(d) && started.has(byName.get(d)!)),
          )
        ) {
          launch(k);
          changed = true;
        }
      }
    }
    if (running.size === 0) break;
    // A rejection (an I/O error of run-partition) stops the others, then propagates.
    await Promise.race(running.values()).catch(async (err: unknown) => {
      stop.trigger('SIGTERM');
      await Promise.allSettled(running.values());
      throw err;
    });
  }
  const ok = !stop.signal && outcomes.every((o) => o.result && !stageFailed(o.result));
  return { stages: outcomes, ok, ...(stop.signal ? { signal: stop.signal } : {}) };
}
