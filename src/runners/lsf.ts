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
import { submitScriptView } from './submit-script.js';
import { renderTemplate } from './templates.js';

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
  const view = scriptView(ctx);
  const stageScripts = ctx.stages.map((s) => {
    const name = lsfJobName(s.index, s.name);
    const directives = [
      `-J ${arraySpec(name, Math.min(s.partitions, max), maxRunning)}`,
      `-o ${lsfOutput(ctx.planDir, s.index)}`,
      ...resourceOptions(s.resources),
    ];
    const content = renderTemplate('lsf', 'stage.lsf', {
      ...view,
      stage: { ...s, number: s.index + 1 },
      directives,
    });
    return { path: stageFile(s.index), content, executable: true };
  });

  const driver = renderTemplate('lsf', 'submit.sh', {
    ...view,
    ...submitScriptView(ctx, 'lsf', lsfScheduler, lsfSubmissions(ctx), { record: false }),
  });
  return [{ path: 'submit.sh', content: driver, executable: true }, ...stageScripts];
}

export const submissions = lsfSubmissions;
