// The embedded default: plan (if given a spec) and run every stage here, in order, each stage as one
// partition. Running it again resumes: the plan is reused while the spec is unchanged.
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { BatchplanError, EXIT_CODES } from '../errors.js';
import { runPartition } from '../exec/run-partition.js';
import { StopSignal } from '../exec/stop-signal.js';
import { PLAN_FILE } from '../plan/format.js';
import { readPlan, type Plan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import { loadSpecFile } from '../spec/load.js';
import { loadPlanStatus, summarize } from '../status/plan-status.js';
import { optionalPositiveInt } from './args.js';
import { specDigest, writeSpecPlan } from './compile-spec.js';
import { note, printJson, Progress } from './output.js';
import { summary } from './run-partition.js';
import statusCommand, { overallOf } from './status.js';

interface Options {
  output?: string;
  force?: boolean;
  nprocs?: string;
  grace: string;
  json?: boolean;
}

export default async function run(target: string, opts: Options): Promise<number> {
  const nprocs = optionalPositiveInt('--nprocs', opts.nprocs);
  const grace = durationFlag('--grace', opts.grace);
  const plan = await openOrPlan(target, opts);
  const stop = new StopSignal();
  const uninstall = stop.installProcessHandlers();
  const progress = new Progress();
  const failedStages = new Set<string>();
  try {
    for (const stage of plan.file.stages) {
      if (stop.signal) break;
      const blockedBy = stage.after.filter((d) => failedStages.has(d));
      if (blockedBy.length) {
        failedStages.add(stage.name);
        note(`stage ${stage.name}: not run, because ${blockedBy.join(', ')} did not succeed`);
        continue;
      }
      const result = await runPartition(plan, {
        stage: stage.name,
        n: 1,
        index: 0,
        nprocs,
        grace,
        stop,
        onProgress: (p) =>
          progress.update(
            `${stage.name}: ${p.done}/${p.total} done, ${p.running} running, ${p.failed} failed`,
          ),
      });
      progress.done();
      note(summary(result));
      if (result.failed > 0 || result.interrupted > 0) failedStages.add(stage.name);
    }
  } finally {
    progress.done();
    uninstall();
  }
  if (opts.json) {
    const stages = summarize(plan, loadPlanStatus(plan));
    printJson({ plan: plan.dir, stages, overall: overallOf(stages) });
  } else await statusCommand(plan.dir, {});
  if (stop.signal) return stop.exitCode();
  return failedStages.size ? EXIT_CODES.E_TASKS_FAILED : 0;
}

async function openOrPlan(target: string, opts: Options): Promise<Plan> {
  if (existsSync(join(target, PLAN_FILE))) return readPlan(target);
  if (existsSync(target) && statSync(target).isDirectory())
    throw new BatchplanError(
      'E_PLAN_NOT_FOUND',
      `${resolve(target)} is a directory but not a plan`,
      'Pass a spec file or a plan directory.',
    );
  const loaded = loadSpecFile(target);
  for (const w of loaded.warnings ?? []) note(`warning: ${w}`);
  const dir = resolve(opts.output ?? `${basename(target, extname(target)) || 'batchplan'}.plan`);
  if (existsSync(join(dir, PLAN_FILE)) && !opts.force) {
    const plan = readPlan(dir);
    if (plan.file.source.sha256 === specDigest(loaded.source.text)) {
      note(`resuming plan ${dir} (the spec is unchanged; tasks that succeeded are skipped)`);
      return plan;
    }
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${dir} holds a plan of a different version of ${target}`,
      'Pass --force to re-plan (its recorded status is discarded), or -o to plan elsewhere.',
    );
  }
  await writeSpecPlan(loaded, dir, opts.force ?? false);
  note(`planned ${dir}`);
  return readPlan(dir);
}
