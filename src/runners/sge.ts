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
  return ctx.stages.map((s) => {
    const bad = UNSUPPORTED.find((k) => s.resources[k] !== undefined);
    if (bad)
      throw usageError(
        `${flagOf(bad)} (stage '${s.name}') has no Grid Engine counterpart in runner 'sge'`,
        "Request it with the site's own complexes, e.g. --qsub-arg -l --qsub-arg gpu=1 (each is one argument word).",
      );
    return resourceOptions(s.resources, ctx.options.pe);
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
