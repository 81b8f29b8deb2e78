// The embedded default: plan (if given a spec) and run every stage here, each stage as one partition,
// independent stages at the same time. Running it again resumes: the plan is reused while the spec is unchanged.
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { BatchplanError, EXIT_CODES, usageError } from '../errors.js';
import { runPlan, type RunPlanResult } from '../exec/run-plan.js';
import { StopSignal } from '../exec/stop-signal.js';
import { PLAN_FILE } from '../plan/format.js';
import { readPlan, type Plan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import { loadPlanStatus, summarize } from '../status/plan-status.js';
import { optionalPositiveInt } from './args.js';
import { planInChild, specFileSha256 } from './plan-in-child.js';
import type { LoadedSpec } from '../spec/load.js';
import { note, printJson } from './output.js';
import { LiveProgress } from '../progress/live.js';
import type { ProgressSnapshot, StageProgress } from '../progress/model.js';
import { nextCommand } from '../progress/next.js';
import { summary } from './run-partition.js';

interface Options {
  output?: string;
  force?: boolean;
  nprocs?: string;
  maxFails?: string;
  skipFailures?: boolean;
  gpus?: string;
  bindGpus?: boolean;
  grace: string;
  json?: boolean;
}

export default async function run(target: string, opts: Options): Promise<number> {
  const nprocs = optionalPositiveInt('--nprocs', opts.nprocs);
  const grace = durationFlag('--grace', opts.grace);
  const maxFails = optionalPositiveInt('--max-fails', opts.maxFails);
  const gpuEnv = opts.gpus === undefined ? undefined : gpuListEnv(opts.gpus);
  const plan = await openOrPlan(target, opts);
  if (typeof plan === 'number') return plan;
  const stop = new StopSignal();
  const uninstall = stop.installProcessHandlers();
  // The live view: one line per stage, from the journals at the start plus this run's progress.
  const started = Date.now();
  const stages: StageProgress[] = summarize(plan, loadPlanStatus(plan)).map((s) => ({
    name: s.name,
    total: s.total,
    succeeded: s.succeeded,
    failed: s.failed,
    running: 0,
    queued: 0,
  }));
  const before = stages.map((s) => s.succeeded); // skipped tasks count as succeeded already
  // Failures left alone stay failed in the view; without --skip-failures they run again.
  const failedLeft = stages.map((s) => (opts.skipFailures ? s.failed : 0));
  const doneAtStart = stages.reduce((n, s) => n + s.succeeded, 0);
  const snapshot = (): ProgressSnapshot => ({ stages, elapsedMs: Date.now() - started, doneAtStart });
  const live = new LiveProgress(process.stderr, { intervalMs: 10_000 });
  const tick = setInterval(() => live.update(snapshot()), 1000);
  const viewOf = (name: string) => stages.findIndex((s) => s.name === name);
  let result: RunPlanResult;
  try {
    // Independent stages run at the same time (see exec/run-plan.ts); the view follows each.
    result = await runPlan(plan, {
      nprocs,
      maxFails,
      skipFailures: opts.skipFailures,
      grace,
      stop,
      ...(opts.bindGpus ? { bindGpus: true } : {}),
      ...(gpuEnv ? { env: gpuEnv } : {}),
      onProgress: (name, p) => {
        const k = viewOf(name);
        stages[k]!.succeeded = before[k]! + p.done - p.failed;
        stages[k]!.failed = failedLeft[k]! + p.failed;
        stages[k]!.running = p.running;
        live.update(snapshot());
      },
      onStageEnd: ({ stage, result: r, blockedBy }) => {
        const view = stages[viewOf(stage)]!;
        if (blockedBy) {
          view.blockedBy = blockedBy;
          if (!live.isTTY) note(`stage ${stage}: not run: ${blockedBy.join(', ')} failed`);
        } else if (r) {
          view.succeeded = before[viewOf(stage)]! + r.succeeded;
          view.failed = r.failed + (r.failedLeft ?? 0);
          view.running = 0;
          if (!live.isTTY) note(summary(r));
        }
        live.update(snapshot(), true);
      },
    });
  } finally {
    clearInterval(tick);
    live.finish(snapshot());
    uninstall();
  }
  // Loaded once the tasks are done: status reaches the runners' registry (zod) and execa.
  const { default: statusCommand, overallOf } = await import('./status.js');
  const final = summarize(plan, loadPlanStatus(plan));
  const overall = overallOf(final);
  if (opts.json) printJson({ plan: plan.dir, stages: final, overall });
  else await statusCommand(plan.dir, {});
  process.stderr.write(`${nextCommand(plan.dir, overall, 'run')}\n`);
  if (stop.signal) return stop.exitCode();
  return result.ok ? 0 : EXIT_CODES.E_TASKS_FAILED;
}

async function loadHere(target: string): Promise<LoadedSpec> {
  const { loadSpecFile } = await import('../spec/load.js');
  const loaded = loadSpecFile(target);
  for (const w of loaded.warnings ?? []) note(`warning: ${w}`);
  return loaded;
}

/** The plan, or the exit code of a `plan` that failed (it has said why). */
async function openOrPlan(target: string, opts: Options): Promise<Plan | number> {
  if (existsSync(join(target, PLAN_FILE))) return readPlan(target);
  if (existsSync(target) && statSync(target).isDirectory())
    throw new BatchplanError(
      'E_PLAN_NOT_FOUND',
      `${resolve(target)} is a directory but not a plan`,
      'Pass a spec file or a plan directory.',
    );
  const dir = resolve(opts.output ?? `${basename(target, extname(target)) || 'batchplan'}.plan`);
  // Standard input can be read once only: loaded here. A file is planned in a child (./plan-in-child.ts).
  const loaded = target === '-' ? await loadHere(target) : undefined;
  const digest = loaded ? loaded.source.sha256 : specFileSha256(target);
  if (existsSync(join(dir, PLAN_FILE)) && !opts.force && digest !== undefined) {
    const plan = readPlan(dir);
    if (plan.file.source.sha256 === digest || (await sameInputs(target, plan))) {
      note(`resuming plan ${dir} (the spec is unchanged; tasks that succeeded are skipped)`);
      return plan;
    }
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${dir} holds a plan of a different version of ${target}`,
      'Pass --force to re-plan (its recorded status is discarded), or -o to plan elsewhere.',
    );
  }
  if (loaded) {
    const { writeSpecPlan } = await import('./compile-spec.js');
    await writeSpecPlan(loaded, dir, opts.force ?? false);
  } else {
    const code = await planInChild(target, dir, opts.force ?? false);
    if (code !== 0) return code;
  }
  note(`planned ${dir}`);
  return readPlan(dir);
}

/**
 * A plan of a spec that reads params files records the digest of the spec and those files together
 * (compile-spec.ts): loaded here to compare, only when the spec file's own digest differs.
 */
async function sameInputs(target: string, plan: Plan): Promise<boolean> {
  if (target === '-') return false;
  const loaded = await loadHere(target).catch(() => undefined);
  if (!loaded?.inputs?.length) return false;
  const { sourceDigest } = await import('./compile-spec.js');
  return plan.file.source.sha256 === sourceDigest(loaded);
}

/**
 * --gpus 0,1: these GPUs, as if CUDA_VISIBLE_DEVICES listed them (the first place binding reads;
 * ROCR_VISIBLE_DEVICES follows it for AMD's runtime, gpu-binding.ts).
 */
function gpuListEnv(list: string): NodeJS.ProcessEnv {
  if (!/^[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$/.test(list))
    throw usageError(
      `--gpus must list GPU ids separated by commas, e.g. 0,1 or GPU-8932f937,GPU-27a2e0ff; got '${list}'`,
    );
  return { ...process.env, CUDA_VISIBLE_DEVICES: list, ROCR_VISIBLE_DEVICES: list };
}
