// LSF: one bsub array script per stage plus a driver (submit.sh) that submits them in dependency
// order (`bsub < script`, job ids parsed from "Job <id> is submitted to queue <q>."), each stage
// waiting with -w "done(<id>)" on every array of the stages it follows. Rendering only: no LSF
// runs here, so the files are checked against LSF's manual (golden files), not a cluster.
import { arrayChunks } from './array-chunks.js';
import { scriptView } from './script-view.js';
import { driverSteps } from './driver-steps.js';
import { arraySpec, lsfJobName, lsfOutput, resourceOptions } from './lsf-directives.js';
import { LSF_MAX_ARRAY_SIZE, type LsfOptions } from './lsf-descriptor.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { renderTemplate } from './templates.js';

const stageFile = (index: number) => `stage-${index}.lsf`;

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

  // The driver: each array's job id goes into a shell variable that its dependants' -w names.
  const subs = ctx.stages.flatMap((stage) =>
    arrayChunks(stage.partitions, max).map((c) => ({ stageIndex: stage.index, ...c })),
  );
  const steps = driverSteps(ctx, subs).map(({ sub, stage, variable, after, last }) => {
    const dependency = after.map((v) => `done(${v})`).join(' && ');
    return {
      variable,
      stage,
      file: stageFile(stage.index),
      offset: sub.offset,
      last,
      // Every value here is a number, a sanitized name or a job id variable: double quotes suffice.
      options: [
        `-J ${arraySpec(lsfJobName(stage.index, stage.name), sub.size, maxRunning)}`,
        ...(dependency ? [`-w "${dependency}"`, '-ti'] : []),
      ].join(' '),
    };
  });
  const driver = renderTemplate('lsf', 'submit.sh', { ...view, steps });
  return [{ path: 'submit.sh', content: driver, executable: true }, ...stageScripts];
}
