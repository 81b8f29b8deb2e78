// Submit a plan directory of this machine: check the scheduler is there, leave out every partition
// that a job of an earlier submission still has queued or running (./live-jobs.ts), render its
// scripts into <plan>/scripts/<stamp>-<runner>/, submit them (./submit.ts) and record the jobs, the
// live ones too. Scheduler commands go through `transport`; the plan's files are read and written
// here (a plan on a remote login node is submitted by the batchplan there: see src/remote/).
import { join } from 'node:path';
import { BatchplanError, usageError } from '../errors.js';
import { contextFromFlags, writeRendered } from '../commands/generate-script.js';
import type { RunnerFlags } from '../commands/runner-flags.js';
import type { LiveJob, RenderContext } from '../runners/render-context.js';
import { toRanges } from '../status/resets.js';
import { describeLive, liveJobsOfPlan, type LivePlanJob } from './live-jobs.js';
import { stampNow } from './record.js';
import { keptSubmissions, submissionArgv, submitPlan } from './submit.js';
import { readPlan } from '../plan/read.js';
import { localTransport, type Transport } from './transport.js';

export interface SubmitOptions {
  transport?: Transport;
  /** Render and list the commands; write and submit nothing. */
  dryRun?: boolean;
  /**
   * Refused (E_USAGE). It once submitted partitions still queued or running again; submit now
   * leaves those out by itself and submits the rest.
   */
  force?: boolean;
}

/** A job of an earlier submission still queued or running: not submitted again, waited for. */
export interface LiveSubmitted {
  jobId: string;
  stage: string;
  /** Its partitions still queued or running. */
  partitions: number[];
}

export type SubmitOutcome =
  | {
      dryRun: true;
      dir: string;
      files: string[];
      commands: string[][];
      skipped: string[];
      live: LiveSubmitted[];
    }
  | {
      dryRun: false;
      runner: string;
      n: number;
      stages: { name: string; tasks: number; partitions: number; submitted: number }[];
      /** The jobs submitted now. */
      jobIds: string[];
      scripts: string;
      record: string;
      /** Stages not submitted: every task of theirs has succeeded. */
      skipped: string[];
      /** Jobs of earlier submissions still queued or running (the record lists them too). */
      live: LiveSubmitted[];
    }
  | { dryRun: boolean; nothingToDo: true; stages: { name: string; tasks: number }[] };

export async function submit(
  planDir: string,
  n: string | number,
  flags: RunnerFlags,
  opts: SubmitOptions = {},
): Promise<SubmitOutcome> {
  const transport = opts.transport ?? localTransport;
  // The old --force submitted every partition again, those still queued or running too: a task
  // ran twice. Submit now leaves those out by itself, so there is nothing left to force.
  if (opts.force)
    throw usageError(
      'submit --force is no more: submit never submits a partition that a job still has queued or running, and submits the rest',
      `To run such a partition again, cancel its job first (batchplan cancel ${planDir}), then submit.`,
    );
  const { ctx, runner } = await contextFromFlags(planDir, String(n), flags);
  const scheduler = runner.scheduler;
  if (!runner.capabilities.canSubmit || !scheduler || !runner.submissions)
    throw usageError(
      `runner '${runner.name}' cannot submit`,
      'Use generate-script and run the script yourself.',
    );

  // Only what is left: a stage whose tasks all succeeded is not submitted, and the arrays of its
  // dependants do not wait for it; a finished plan submits nothing.
  const plan = readPlan(ctx.planDir);
  // Partitions with work left, per stage (contextFromFlags read them: partitions-left.ts).
  const left = plan.file.stages.map((_, k) => ctx.left?.[k]?.length ?? 1);
  const skipped = plan.file.stages.filter((_, k) => left[k] === 0).map((s) => s.name);
  if (left.every((n) => n === 0))
    return {
      dryRun: !!opts.dryRun,
      nothingToDo: true,
      stages: plan.file.stages.map((s) => ({ name: s.name, tasks: s.tasks })),
    };
  if (!opts.dryRun)
    for (const command of scheduler.commands)
      if (!(await transport.has(command)))
        throw new BatchplanError(
          'E_SUBMIT_FAILED',
          `${command} not found: is this a ${runner.name} login node?`,
          'Use generate-script to render the scripts only.',
        );
  // Jobs of earlier submissions still queued or running: their partitions are not submitted again,
  // and the stages after theirs wait for them.
  const live = await liveJobsOfPlan(transport, ctx.planDir);
  const stageName = (k: number) => plan.file.stages[k]?.name ?? String(k);
  if (live.length) leaveOutLive(ctx, live, runner.submissions!(ctx), runner.name, stageName);
  const open = plan.file.stages.map((_, k) => ctx.left?.[k]?.length ?? 1);
  if (open.every((k) => k === 0))
    throw usageError(
      `every partition of plan ${ctx.planDir} with work left is queued or running already: ${describeLive(live, stageName)}; nothing was submitted`,
      `Wait for them (batchplan wait ${planDir}), then submit again for whatever is left.`,
    );
  const keep = (k: number) => open[k]! > 0;
  const liveOut: LiveSubmitted[] = live.map((j) => ({
    jobId: j.jobId,
    stage: stageName(j.stage),
    partitions: j.partitions,
  }));

  // The site's array limit, when the scheduler tells it (Slurm: MaxArraySize); a flag can only lower it.
  if (
    scheduler.configArgv &&
    scheduler.parseMaxArraySize &&
    (await transport.has(scheduler.configArgv[0]!))
  ) {
    const r = await transport.run(scheduler.configArgv);
    const site = r.exitCode === 0 ? scheduler.parseMaxArraySize(r.stdout) : undefined;
    if (site !== undefined) ctx.options.maxArraySize = Math.min(site, ctx.options.maxArraySize ?? site);
  }

  const files = runner.render(ctx);
  const dir = join(ctx.planDir, 'scripts', `${stampNow()}-${runner.name}`);
  if (opts.dryRun) {
    const commands = submissionArgv(runner, ctx, keptSubmissions(runner, ctx, keep), dir);
    return { dryRun: true, dir, files: files.map((f) => f.path), commands, skipped, live: liveOut };
  }
  writeRendered(dir, files);
  const result = await submitPlan(transport, runner, ctx, dir, keep);
  return {
    dryRun: false,
    runner: runner.name,
    n: ctx.n,
    stages: ctx.stages
      .filter((s) => keep(s.index))
      .map(({ name, index, tasks, partitions }) => ({
        name,
        tasks,
        partitions,
        // Those submitted: only the partitions with work left.
        submitted: (ctx.left?.[index] ?? [[0, partitions]]).reduce((n, [a, b]) => n + b - a, 0),
      })),
    jobIds: result.jobIds,
    scripts: dir,
    record: result.record,
    skipped,
    live: liveOut,
  };
}

/**
 * Take the partitions that live jobs hold out of `ctx.left` and give the jobs to the render
 * (ctx.live), refusing what cannot be submitted beside them: jobs on another scheduler, a job that
 * runs every stage (or a submission that would be one), and jobs whose partitions were numbered
 * for another N.
 */
function leaveOutLive(
  ctx: RenderContext,
  live: readonly LivePlanJob[],
  subs: readonly { stageIndex: number }[],
  runner: string,
  stageName: (k: number) => string,
): void {
  const refuse = (why: string, jobs: readonly LivePlanJob[], hint: string) => {
    throw usageError(
      `plan ${ctx.planDir} has jobs queued or running (${describeLive(jobs, stageName)}): ${why}`,
      hint,
    );
  };
  const wait = `Wait for them (batchplan wait ${ctx.planDir}) or cancel them (batchplan cancel ${ctx.planDir}), then submit.`;
  const elsewhere = live.filter((j) => j.runner !== runner);
  if (elsewhere.length)
    refuse(
      `they run under ${elsewhere[0]!.runner}, and --runner ${runner} cannot wait for them`,
      elsewhere,
      wait,
    );
  const everyStage = live.filter((j) => j.stage < 0);
  if (everyStage.length || subs.some((s) => s.stageIndex < 0))
    refuse(
      'a job that runs every stage cannot be submitted beside other jobs of the plan',
      everyStage.length ? everyStage : live,
      wait,
    );
  const otherN = live.filter((j) => j.n !== ctx.n);
  if (otherN.length)
    refuse(
      `they were submitted for N = ${otherN[0]!.n}, and partitions of another N (${ctx.n}) would overlap theirs`,
      otherN,
      `Submit with N = ${otherN[0]!.n} while they run, or wait for them (batchplan wait ${ctx.planDir}).`,
    );
  ctx.left = ctx.stages.map(({ index, partitions }) => {
    const held = new Set(live.filter((j) => j.stage === index).flatMap((j) => j.partitions));
    const ranges = ctx.left?.[index] ?? [[0, partitions]];
    const open: number[] = [];
    for (const [a, b] of ranges) for (let p = a; p < b; p++) if (!held.has(p)) open.push(p);
    return toRanges(open);
  });
  ctx.live = live.map((j): LiveJob => ({
    stageIndex: j.stage,
    jobId: j.jobId,
    offset: j.offset,
    size: j.size,
    elements: j.partitions,
    endedBadly: j.endedBadly,
  }));
}
