// Flux: one `flux batch` script per stage, submitted --cc=0-(P-1) (one job per partition, FLUX_JOB_CC
// its zero-based index), and a driver (submit.sh) that submits the stages in dependency order, each
// job of a stage depending on every job of the stages it follows (--dependency=afterok:<id>).
// Rendering only: no Flux runs here, so the files are checked against Flux's manual (golden files).
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { shellQuote } from '../util/shell-quote.js';
import { argsDirective, partitionGpus } from './directives.js';
import type { FluxOptions } from './flux-descriptor.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { fluxScheduler } from './flux-scheduler.js';
import { JOBS_DIR, type ArraySubmission } from './scheduler.js';
import { schedulerScripts } from './scheduler-scripts.js';
import { scriptView } from './script-view.js';
import { jobName } from './slurm-directives.js';

const stageFile = (index: number) => `stage-${index}.flux`;

/** One submission per stage (Flux has no array size limit), one job per partition. */
export const fluxSubmissions = (ctx: RenderContext<FluxOptions>): ArraySubmission[] =>
  ctx.stages.map((s) => ({
    stageIndex: s.index,
    array: true,
    file: stageFile(s.index),
    offset: 0,
    size: s.partitions,
  }));

/** `flux batch` options for one partition's resources, in a fixed order, then the verbatim args. */
export function fluxOptions(r: Resources): string[] {
  if (r.mem !== undefined || r.qos !== undefined)
    throw usageError(
      `runner 'flux' has no option for ${r.mem !== undefined ? `mem (${r.mem})` : `qos (${r.qos})`}`,
      'Flux allocates whole cores (and their memory): ask for --cpus-per-task, or pass --flux-arg.',
    );
  const gpus = partitionGpus(r);
  const opts: [string, string | number | undefined][] = [
    ['--nodes', r.nodes],
    ['--nslots', 1],
    ['--cores-per-slot', r.cpusPerTask],
    ['--gpus-per-slot', gpus],
    ['--time-limit', r.time === undefined ? undefined : `${Math.ceil(r.time / 60)}m`],
    ['--bank', r.account],
    ['--queue', r.partition],
    ['--requires', r.constraint],
  ];
  return [
    ...opts.filter(([, v]) => v !== undefined).map(([flag, v]) => `${flag}=${shellQuote(String(v))}`),
    ...argsDirective(r, 'flux'),
  ];
}

export function render(ctx: RenderContext<FluxOptions>): RenderedFile[] {
  return schedulerScripts(ctx, {
    runner: 'flux',
    stageTemplate: 'stage.flux',
    stageFile,
    view: scriptView(ctx),
    directives: (s) => [
      `--job-name=${jobName(s.index, s.name)}`,
      `--output=${shellQuote(`${ctx.planDir}/${JOBS_DIR}/stage-${s.index}-{{id}}.out`)}`,
      ...fluxOptions(s.resources),
    ],
    scheduler: fluxScheduler,
    submissions: fluxSubmissions(ctx),
    record: false,
  });
}

export const submissions = fluxSubmissions;
