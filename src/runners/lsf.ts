// LSF: one bsub array script per stage plus a driver (submit.sh) that submits them in dependency
// order (`bsub < script`, job ids parsed from "Job <id> is submitted to queue <q>."), each stage
// waiting with -w "done(<id>)" on every array of the stages it follows. Rendering only: no LSF
// runs here, so the files are checked against LSF's manual (golden files), not a cluster.
import { stageArrays } from './array-chunks.js';
import { scriptView } from './script-view.js';
import { arraySpec, lsfJobName, lsfOutput, resourceOptions } from './lsf-directives.js';
import { LSF_MAX_ARRAY_SIZE, type LsfOptions } from './lsf-descriptor.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { lsfScheduler, type LsfSubmission } from './lsf-scheduler.js';
import { schedulerScripts } from './scheduler-scripts.js';

const stageFile = (index: number) => `stage-${index}.lsf`;

/** The arrays to submit, in order: each stage's partitions split by MAX_JOB_ARRAY_SIZE. */
export function lsfSubmissions(ctx: RenderContext<LsfOptions>): LsfSubmission[] {
  const max = ctx.options.maxArraySize ?? LSF_MAX_ARRAY_SIZE;
  return stageArrays(ctx.stages, max, stageFile).map((a) => ({
    ...a,
    jobName: lsfJobName(a.stageIndex, ctx.stages.find((s) => s.index === a.stageIndex)!.name),
  }));
}

export function render(ctx: RenderContext<LsfOptions>): RenderedFile[] {
  const max = ctx.options.maxArraySize ?? LSF_MAX_ARRAY_SIZE;
  const maxRunning = ctx.options.maxRunning;
  return schedulerScripts(ctx, {
    runner: 'lsf',
    stageTemplate: 'stage.lsf',
    stageFile,
    view: scriptView(ctx),
    directives: (s) => [
      `-J ${arraySpec(lsfJobName(s.index, s.name), Math.min(s.partitions, max), maxRunning)}`,
      `-o ${lsfOutput(ctx.planDir, s.index)}`,
      ...resourceOptions(s.resources),
    ],
    scheduler: lsfScheduler,
    submissions: lsfSubmissions(ctx),
    record: false,
  });
}

export const submissions = lsfSubmissions;
