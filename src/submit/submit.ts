// Submit a rendered plan: run each submission step (src/runners/submit-steps.ts: the same steps the
// rendered submit.sh runs), the job ids of earlier steps filled into later ones' dependencies. A
// refused submission is reported with the scheduler's own words, what was already submitted is
// cancelled, and nothing is recorded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import type { RenderContext, Runner } from '../runners/runner.js';
import { JOBS_DIR, type ArraySubmission, type SubmitStep } from '../runners/scheduler.js';
import {
  cancelArgv,
  parseJobIds,
  placeholderIds,
  recordEntries,
  resolveArgv,
  submitSteps,
} from '../runners/submit-steps.js';
import { submissionRecord, writeSubmission } from './record.js';
import type { Transport } from './transport.js';
import { withWorkLeft } from '../runners/work-left.js';

export interface SubmitResult {
  jobIds: string[];
  record: string;
}

/** One step's command with the ids known so far (`ids[k]`: what step k printed). */
export interface ResolvedCommand {
  argv: string[];
  env?: Record<string, string>;
  /** File fed on standard input. */
  stdin?: string;
}

export function resolveCommand(
  step: SubmitStep,
  ids: readonly (readonly string[])[],
  dir: string,
): ResolvedCommand {
  const { env, stdin, argv } = step.command;
  return {
    argv: resolveArgv(argv, ids, dir),
    ...(env ? { env: Object.fromEntries(env) } : {}),
    ...(stdin === undefined ? {} : { stdin: `${dir}/${stdin}` }),
  };
}

/**
 * Per-partition dependencies (step.then): each element that waits for fewer partitions than the
 * whole stages. One that the scheduler refuses keeps its stage barrier: said, not fatal.
 */
async function narrow(transport: Transport, step: SubmitStep, ids: string[][], dir: string): Promise<void> {
  let refused = 0;
  let said = '';
  for (const then of step.then ?? []) {
    const r = await transport.run(transportArgv(resolveCommand({ ...step, command: then }, ids, dir)));
    if (r.exitCode !== 0) {
      refused++;
      said ||= (r.stderr || r.stdout).trim();
    }
  }
  if (refused)
    process.stderr.write(
      `batchplan: warning: ${refused} of ${step.then!.length} partitions of ${step.sub.file} keep waiting for whole stages: ${said || 'the scheduler refused to narrow their dependencies'}\n`,
    );
}

/**
 * argv only, for any Transport (a remote one quotes each word): the environment through env(1), standard
 * input through sh's redirection of a file named as an argument, never spliced into shell code.
 */
export function transportArgv(cmd: ResolvedCommand): string[] {
  const env = Object.entries(cmd.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = env.length ? ['env', ...env, ...cmd.argv] : cmd.argv;
  return cmd.stdin === undefined ? argv : ['sh', '-c', 'exec "$@" < "$0"', cmd.stdin, ...argv];
}

/** What each submission runs; dependency ids are placeholders until the jobs exist (for --dry-run). */
export function submissionArgv(
  runner: Runner,
  ctx: RenderContext,
  subs: ArraySubmission[],
  dir: string,
  /** The id each step printed, where known. */
  known: string[] = [],
): string[][] {
  const steps = submitSteps(ctx, runner.scheduler!, subs);
  const ids = placeholderIds(ctx, steps).map((p, k) => (known[k] === undefined ? p : [known[k]]));
  return steps.filter((s) => s.live === undefined).map((s) => transportArgv(resolveCommand(s, ids, dir)));
}

/** The runner's submissions, less the arrays of stages not kept (an allocation job is always kept). */
export function keptSubmissions(
  runner: Runner,
  ctx: RenderContext,
  keep?: (stageIndex: number) => boolean,
): ArraySubmission[] {
  const subs = runner.submissions!(ctx);
  return withWorkLeft(
    ctx,
    runner.scheduler!,
    keep ? subs.filter((s) => s.stageIndex < 0 || keep(s.stageIndex)) : subs,
  );
}

export async function submitPlan(
  transport: Transport,
  runner: Runner,
  ctx: RenderContext,
  dir: string,
  /** Stages to submit (those with work left); every array when not given. */
  keep?: (stageIndex: number) => boolean,
): Promise<SubmitResult> {
  const scheduler = runner.scheduler!;
  const steps = submitSteps(ctx, scheduler, keptSubmissions(runner, ctx, keep));
  mkdirSync(join(ctx.planDir, JOBS_DIR), { recursive: true });
  const ids: string[][] = [];
  // Jobs still running from earlier submissions: known ids, never submitted (nor cancelled) here.
  const earlier = steps.filter((s) => s.live !== undefined).length;
  for (const step of steps) {
    if (step.live !== undefined) {
      ids.push([step.live]);
      continue;
    }
    const cmd = resolveCommand(step, ids, dir);
    const r = await transport.run(transportArgv(cmd));
    let got: string[] | undefined;
    try {
      if (r.exitCode === 0) got = parseJobIds(scheduler.jobId, r.stdout, cmd.argv[0]);
      // One job per partition: as many ids as partitions, or the record would be wrong.
      if (scheduler.jobId.lines === 'each' && got?.length !== step.sub.size) got = undefined;
    } catch {
      /* reported below */
    }
    if (got === undefined) {
      const all = ids.slice(earlier).flat();
      if (all.length) await transport.run(cancelArgv(scheduler, all));
      const said = (r.stderr || r.stdout).trim() || '(no message)';
      throw new BatchplanError(
        'E_SUBMIT_FAILED',
        `${cmd.argv[0]} refused ${step.sub.file} (exit ${r.exitCode}): ${said}`,
        `Nothing was recorded${all.length ? `; the ${all.length} job(s) already submitted were cancelled` : ''}. Command: ${cmd.argv.join(' ')}`,
      );
    }
    ids.push(got);
    await narrow(transport, step, ids, dir);
  }
  const entries = recordEntries(scheduler, steps);
  const record = writeSubmission(
    ctx.planDir,
    submissionRecord(
      runner.name,
      ctx.n,
      entries.map(({ stage, offset, size, only }) => ({ stage, offset, size, ...(only ? { only } : {}) })),
      entries.map((e) => ids[e.id.job]![e.id.index ?? 0]!),
      new Date().toISOString(),
    ),
  );
  return { jobIds: ids.slice(earlier).flat(), record };
}
