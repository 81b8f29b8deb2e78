// Slurm: one sbatch array script per stage plus a driver (submit.sh) that submits them in dependency
// order, or (--layout allocation) one job that walks every stage inside its allocation with srun.
import { stageArrays } from './array-chunks.js';
import { scriptView } from './script-view.js';
import type { RenderContext, RenderedFile } from './runner.js';
import type { ArraySubmission } from './scheduler.js';
import { partitionGpus } from './directives.js';
import { jobName, outputPattern, resourceOptions } from './slurm-directives.js';
import { SLURM_MAX_ARRAY_SIZE, type SlurmOptions } from './slurm-descriptor.js';
import { arrayOptions, slurmScheduler } from './slurm-scheduler.js';
import { schedulerScripts } from './scheduler-scripts.js';
import { renderTemplate } from './templates.js';

export const DEFAULT_SIGNAL_GRACE = 120;

export const stageFile = (index: number) => `stage-${index}.sbatch`;

/**
 * Seconds of warning before the time limit. A grace as long as the limit would make Slurm warn at
 * once and stop every partition as it starts, so it is capped at half the limit (whole minutes).
 */
export function warningGrace(grace: number, timeLimit: number | undefined): number {
  if (timeLimit === undefined) return grace;
  const limit = Math.ceil(timeLimit / 60) * 60;
  return Math.min(grace, Math.floor(limit / 2));
}

/** The arrays to submit, in order: each stage's partitions split by the array size limit. */
export function slurmSubmissions(ctx: RenderContext<SlurmOptions>): ArraySubmission[] {
  const max = ctx.options.maxArraySize ?? SLURM_MAX_ARRAY_SIZE;
  if (ctx.options.layout === 'allocation')
    return [{ stageIndex: -1, array: false, file: 'allocation.sbatch', offset: 0, size: 1 }];
  return stageArrays(ctx.stages, max, stageFile);
}

function common(ctx: RenderContext<SlurmOptions>) {
  return {
    ...scriptView(ctx),
    grace: ctx.options.signalGrace ?? DEFAULT_SIGNAL_GRACE,
  };
}

function renderArrays(ctx: RenderContext<SlurmOptions>): RenderedFile[] {
  const subs = slurmSubmissions(ctx);
  const maxRunning = ctx.options.maxRunning;
  const view = common(ctx);
  return schedulerScripts(ctx, {
    runner: 'slurm',
    stageTemplate: 'stage.sbatch',
    stageFile,
    view,
    directives: (s) => [
      `--job-name=${jobName(s.index, s.name)}`,
      ...arrayOptions(
        subs.find((sub) => sub.stageIndex === s.index)!,
        maxRunning,
      ).slice(0, 1),
      `--output=${outputPattern(ctx.planDir, `stage-${s.index}-%A_%a.out`)}`,
      `--signal=B:USR1@${warningGrace(view.grace, s.resources.time)}`,
      ...resourceOptions(s.resources),
    ],
    scheduler: slurmScheduler,
    submissions: subs,
    record: true,
  });
}

function renderAllocation(ctx: RenderContext<SlurmOptions>): RenderedFile[] {
  const view = common(ctx);
  const slots = ctx.options.maxRunning ?? Math.max(...ctx.stages.map((s) => s.partitions));
  // One allocation for every stage: the largest request of any stage, per partition slot.
  const cpus = Math.max(...ctx.stages.map((s) => s.resources.cpusPerTask ?? 1));
  const time = Math.max(...ctx.stages.map((s) => s.resources.time ?? 0));
  const base = ctx.stages[0]!.resources;
  // GPUs per step (one partition), as many for each of the slots: --gpus would be the whole job's.
  const gpus = ctx.stages.flatMap((s) => partitionGpus(s.resources) ?? []);
  const stepGpus = gpus.length ? Math.max(...gpus) : undefined;
  const directives = [
    `--job-name=${jobName(0, 'allocation')}`,
    `--ntasks=${slots}`,
    `--output=${outputPattern(ctx.planDir, 'allocation-%j.out')}`,
    `--signal=B:USR1@${warningGrace(view.grace, time || undefined)}`,
    ...resourceOptions({
      ...base,
      cpusPerTask: cpus,
      time: time || undefined,
      gpus: undefined,
      gpusPerTask: stepGpus,
    }),
  ];
  const content = renderTemplate('slurm', 'allocation.sbatch', {
    ...view,
    directives,
    slots,
    cpus,
    stepGpus: stepGpus === undefined ? '' : ` --gpus-per-task=${stepGpus}`,
    stages: ctx.stages.map((s) => ({ ...s, number: s.index + 1, last: s.partitions - 1 })),
  });
  return [{ path: 'allocation.sbatch', content, executable: true }];
}

export const render = (ctx: RenderContext<SlurmOptions>): RenderedFile[] =>
  ctx.options.layout === 'allocation' ? renderAllocation(ctx) : renderArrays(ctx);
export const submissions = slurmSubmissions;
