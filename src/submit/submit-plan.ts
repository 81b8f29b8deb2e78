// Submit a plan directory of this machine: check the scheduler is there and the plan is not already
// running, render its scripts into <plan>/scripts/<stamp>-<runner>/, submit them (./submit.ts) and
// record the jobs. Scheduler commands go through `transport`; the plan's files are read and written
// here (a plan on a remote login node is submitted by the batchplan there: see src/remote/).
import { join } from 'node:path';
import { BatchplanError, usageError } from '../errors.js';
import { contextFromFlags, writeRendered } from '../commands/generate-script.js';
import type { RunnerFlags } from '../commands/runner-flags.js';
import { stampNow } from './record.js';
import { activeJobIds, querySubmission } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import { keptSubmissions, submissionArgv, submitPlan } from './submit.js';
import { readPlan } from '../plan/read.js';
import { localTransport, type Transport } from './transport.js';

export interface SubmitOptions {
  transport?: Transport;
  /** Render and list the commands; write and submit nothing. */
  dryRun?: boolean;
  /** Submit even though an earlier submission is still queued or running. */
  force?: boolean;
}

export type SubmitOutcome =
  | { dryRun: true; dir: string; files: string[]; commands: string[][]; skipped: string[] }
  | {
      dryRun: false;
      runner: string;
      n: number;
      stages: { name: string; tasks: number; partitions: number; submitted: number }[];
      jobIds: string[];
      scripts: string;
      record: string;
      /** Stages not submitted: every task of theirs has succeeded. */
      skipped: string[];
    }
  | { dryRun: boolean; nothingToDo: true; stages: { name: string; tasks: number }[] };

export async function submit(
  planDir: string,
  n: string | number,
  flags: RunnerFlags,
  opts: SubmitOptions = {},
): Promise<SubmitOutcome> {
  const transport = opts.transport ?? localTransport;
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
  const keep = (k: number) => left[k]! > 0;

  if (!opts.dryRun) {
    for (const command of scheduler.commands)
      if (!(await transport.has(command)))
        throw new BatchplanError(
          'E_SUBMIT_FAILED',
          `${command} not found: is this a ${runner.name} login node?`,
          'Use generate-script to render the scripts only.',
        );
    if (!opts.force) {
      const previous = (await submissionsOf(transport, ctx.planDir)).at(-1);
      if (previous) {
        const active = activeJobIds(await querySubmission(transport, previous));
        if (active.length)
          throw usageError(
            `plan ${ctx.planDir} already has jobs queued or running (${active.join(', ')})`,
            'Wait for them (batchplan wait), cancel them (batchplan cancel), or pass --force to submit again anyway.',
          );
      }
    }
  }
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
    return { dryRun: true, dir, files: files.map((f) => f.path), commands, skipped };
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
  };
}
