// PBS (PBS Professional / OpenPBS with --flavor pro, the default; Torque with --flavor torque): one
// qsub script per stage, an array over its partitions, plus a driver (submit.sh) that submits the
// stages in dependency order with `-W depend=…`.
import type { ArrayChunk } from './array-chunks.js';
import { scriptView } from './script-view.js';
import { arrayChunks } from './array-chunks.js';
import {
  arrayArgs,
  flavorOf,
  pbsJobName,
  pbsScheduler,
  resourceDirectives,
  type PbsFlavor,
} from './pbs-scheduler.js';
import { schedulerScripts } from './scheduler-scripts.js';
import { PBS_MAX_ARRAY_SIZE, type PbsOptions } from './pbs-descriptor.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { JOBS_DIR, type ArraySubmission } from './scheduler.js';
import { shellQuote } from '../util/shell-quote.js';

export const pbsStageFile = (index: number) => `stage-${index}.pbs`;

/** Per flavour: the array index variable, first, and how the driver spells array dependencies. */
const FLAVORS: Record<PbsFlavor, { indexVars: [string, string]; label: string }> = {
  // Slurm's PBS layer sets PBS_ARRAY_INDEX for both flavours, so both are checked either way.
  pro: { indexVars: ['PBS_ARRAY_INDEX', 'PBS_ARRAYID'], label: 'PBS Professional / OpenPBS' },
  torque: { indexVars: ['PBS_ARRAYID', 'PBS_ARRAY_INDEX'], label: 'Torque' },
};

/**
 * Split a stage's partitions by the array size limit, never leaving a one-element array behind a
 * bigger one when it can be avoided (PBS Pro refuses a one-element -J, so that would be a plain job).
 */
export function pbsChunks(partitions: number, max: number): ArrayChunk[] {
  const chunks = arrayChunks(partitions, max);
  const last = chunks.at(-1)!;
  const before = chunks.at(-2);
  if (before && last.size === 1 && before.size > 2) {
    before.size--;
    last.offset--;
    last.size++;
  }
  return chunks;
}

/** What to submit, in order: each stage's arrays; a one-partition stage is a plain job. */
export function pbsSubmissions(ctx: RenderContext<PbsOptions>): ArraySubmission[] {
  const max = ctx.options.maxArraySize ?? PBS_MAX_ARRAY_SIZE;
  return ctx.stages.flatMap((s) =>
    pbsChunks(s.partitions, max).map((c) => ({
      stageIndex: s.index,
      array: c.size > 1,
      file: pbsStageFile(s.index),
      ...c,
    })),
  );
}

export function render(ctx: RenderContext<PbsOptions>): RenderedFile[] {
  const flavor = flavorOf(ctx.options);
  const { indexVars, label } = FLAVORS[flavor];
  const maxRunning = ctx.options.maxRunning;
  const max = ctx.options.maxArraySize ?? PBS_MAX_ARRAY_SIZE;
  const subs = pbsSubmissions(ctx);
  const view = {
    ...scriptView(ctx),
    flavor,
    label,
    indexVar: indexVars[0],
    otherIndexVar: indexVars[1],
  };
  return schedulerScripts(ctx, {
    runner: 'pbs',
    stageTemplate: 'stage.pbs',
    stageFile: pbsStageFile,
    view,
    directives: (s) => {
      // The array directive only where one array holds the whole stage (submit.sh and `batchplan
      // submit` give the range on the command line anyway, which overrides it).
      const array =
        s.partitions > 1 && s.partitions <= max ? arrayArgs(flavor, s.partitions, maxRunning) : [];
      return [
        `-N ${pbsJobName(flavor, s.index, s.name)}`,
        ...(array.length ? [array.join(' ')] : []),
        '-j oe',
        // A directory: PBS names each job's (each subjob's) output file itself.
        `-o ${shellQuote(`${ctx.planDir}/${JOBS_DIR}/`)}`,
        ...resourceDirectives(flavor, s.resources),
      ];
    },
    submitView: { torque: flavor === 'torque' },
    scheduler: pbsScheduler,
    submissions: subs,
    record: true,
  });
}

export const submissions = pbsSubmissions;
