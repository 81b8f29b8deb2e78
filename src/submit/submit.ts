// Submit a rendered plan: each array in order, each depending on the arrays of the stages it follows.
// A refused submission is reported with the scheduler's own words, what was already submitted is
// cancelled, and nothing is recorded.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import type { RenderContext, Runner } from '../runners/runner.js';
import { JOBS_DIR, type ArraySubmission } from '../runners/scheduler.js';
import { writeSubmission } from './record.js';
import type { Transport } from './transport.js';

export interface SubmitResult {
  jobIds: string[];
  record: string;
}

/** argv of each submission; dependency ids are placeholders until the jobs exist (for --dry-run). */
export function submissionArgv(
  runner: Runner,
  ctx: RenderContext,
  subs: ArraySubmission[],
  dir: string,
  ids: string[],
): string[][] {
  const scheduler = runner.scheduler!;
  return subs.map((sub) => {
    const stage = ctx.stages[sub.stageIndex];
    const deps = stage ? stage.after.map((name) => ctx.stages.find((s) => s.name === name)!.index) : [];
    const after = subs.flatMap((s, k) =>
      deps.includes(s.stageIndex) ? [ids[k] ?? `<job of ${ctx.stages[s.stageIndex]!.name}>`] : [],
    );
    return scheduler.submitArgv(sub, dir, {
      after,
      maxRunning: ctx.options.maxRunning,
      options: ctx.options,
    });
  });
}

/** The runner's submissions, less the arrays of stages not kept (an allocation job is always kept). */
export function keptSubmissions(
  runner: Runner,
  ctx: RenderContext,
  keep?: (stageIndex: number) => boolean,
): ArraySubmission[] {
  const subs = runner.submissions!(ctx);
  return keep ? subs.filter((s) => s.stageIndex < 0 || keep(s.stageIndex)) : subs;
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
  const subs = keptSubmissions(runner, ctx, keep);
  mkdirSync(join(ctx.planDir, JOBS_DIR), { recursive: true });
  const ids: string[] = [];
  for (const [k, sub] of subs.entries()) {
    const argv = submissionArgv(runner, ctx, subs.slice(0, k + 1), dir, ids)[k]!;
    const r = await transport.run(argv);
    let id: string | undefined;
    try {
      if (r.exitCode === 0) id = scheduler.parseJobId(r.stdout);
    } catch {
      /* reported below */
    }
    if (id === undefined) {
      if (ids.length) await transport.run(scheduler.cancelArgv(ids));
      const said = (r.stderr || r.stdout).trim() || '(no message)';
      throw new BatchplanError(
        'E_SUBMIT_FAILED',
        `${argv[0]} refused ${sub.file} (exit ${r.exitCode}): ${said}`,
        `Nothing was recorded${ids.length ? `; the ${ids.length} job(s) already submitted were cancelled` : ''}. Command: ${argv.join(' ')}`,
      );
    }
    ids.push(id);
  }
  const record = writeSubmission(ctx.planDir, {
    format: 'batchplan-submission',
    version: 1,
    runner: runner.name,
    layout: subs.some((s) => s.stageIndex === -1) ? 'allocation' : 'arrays',
    n: ctx.n,
    submittedAt: new Date().toISOString(),
    arrays: subs.map((s) => ({ stage: s.stageIndex, offset: s.offset, size: s.size })),
    jobIds: ids,
  });
  return { jobIds: ids, record };
}
