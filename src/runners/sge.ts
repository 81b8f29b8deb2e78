// Grid Engine (Son of Grid Engine, Univa/Altair GE, OGS): one qsub array script per stage plus a driver
// (submit.sh) that submits them in dependency order with -hold_jid.
import { usageError } from '../errors.js';
import { scriptView } from './script-view.js';
import { stageArrays } from './array-chunks.js';
import type { RenderContext, RenderedFile } from './runner.js';
import type { SgeOptions } from './sge-descriptor.js';
import {
  resourceOptions,
  SGE_MAX_ARRAY_SIZE,
  sgeScheduler,
  UNSUPPORTED,
  type SgeSubmission,
} from './sge-scheduler.js';
import { jobName } from './slurm-directives.js';
import { schedulerScripts } from './scheduler-scripts.js';

export const stageFile = (index: number) => `stage-${index}.sge`;

function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The qsub options of each stage's resources; a resource Grid Engine has no option for is an error. */
function stageOptions(ctx: RenderContext<SgeOptions>): string[][] {
  const gpuResource = ctx.options.gpuResource;
  if (gpuResource !== undefined && !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(gpuResource))
    throw usageError(
      `--gpu-resource '${gpuResource}' is not a Grid Engine complex name`,
      'Give the name only (as qconf -sc lists it, e.g. gpu): batchplan writes -l <name>=k.',
    );
  return ctx.stages.map((s) => {
    // GPUs have no standard complex: with --gpu-resource NAME they are -l NAME=k, else refused.
    const bad = UNSUPPORTED.find(
      (k) => s.resources[k] !== undefined && !(gpuResource && (k === 'gpus' || k === 'gpusPerTask')),
    );
    if (bad && s.gpus && (bad === 'gpus' || bad === 'gpusPerTask'))
      throw usageError(
        `stage '${s.name}' sets gpus_per_slot, but Grid Engine has no standard GPU resource to ask for them`,
        "Give the cell's GPU complex: --gpu-resource NAME (e.g. --gpu-resource gpu, which asks -l gpu=k).",
      );
    if (bad)
      throw usageError(
        `${flagOf(bad)} (stage '${s.name}') has no Grid Engine counterpart in runner 'sge'`,
        bad === 'gpus' || bad === 'gpusPerTask'
          ? "Give the cell's GPU complex with --gpu-resource NAME (e.g. gpu: -l gpu=k), or request it with --qsub-arg -l --qsub-arg gpu=1 (each is one argument word)."
          : "Request it with the site's own complexes, e.g. --qsub-arg -l --qsub-arg gpu=1 (each is one argument word).",
      );
    return resourceOptions(s.resources, ctx.options.pe, gpuResource);
  });
}

/** The arrays to submit, in order: each stage's partitions split by max_aj_tasks. */
export function sgeSubmissions(ctx: RenderContext<SgeOptions>): SgeSubmission[] {
  const max = ctx.options.maxArraySize ?? SGE_MAX_ARRAY_SIZE;
  const options = stageOptions(ctx);
  return stageArrays(ctx.stages, max, stageFile).map((a) => ({ ...a, qsubOptions: options[a.stageIndex]! }));
}

export function render(ctx: RenderContext<SgeOptions>): RenderedFile[] {
  return schedulerScripts(ctx, {
    runner: 'sge',
    stageTemplate: 'stage.sge',
    stageFile,
    view: scriptView(ctx),
    directives: (s) => [
      `-N ${jobName(s.index, s.name)}`,
      '-S /bin/bash',
      '-cwd',
      '-j y',
      '-o /dev/null',
      '-notify',
    ],
    scheduler: sgeScheduler,
    submissions: sgeSubmissions(ctx),
    record: true,
  });
}

export const submissions = sgeSubmissions;
