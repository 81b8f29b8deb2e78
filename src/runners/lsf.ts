// LSF: one bsub array script per stage plus a driver (submit.sh) that submits them in dependency
// order (`bsub < script`, job ids parsed from "Job <id> is submitted to queue <q>."), each stage
// waiting with -w "done(<id>)" on every array of the stages it follows. Rendering only: no LSF
// runs here, so the files are checked against LSF's manual (golden files), not a cluster.
import { arrayChunks } from './array-chunks.js';
import { scriptView } from './script-view.js';
import { driverSteps } from './driver-steps.js';
import { arraySpec, lsfJobName, lsfOutput, resourceOptions } from './lsf-directives.js';
import type { RenderContext, RenderedFile, Runner } from './runner.js';
import { renderTemplate } from './templates.js';

/** LSF's default MAX_JOB_ARRAY_SIZE (lsb.params): the largest index, and so the largest array. */
export const LSF_MAX_ARRAY_SIZE = 1000;

const stageFile = (index: number) => `stage-${index}.lsf`;

function render(ctx: RenderContext): RenderedFile[] {
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

export const lsf: Runner = {
  name: 'lsf',
  summary: 'bsub array script per stage + submit.sh chaining them with -w "done(<id>)" (rendering only)',
  capabilities: {
    partitionIndexEnv: 'LSB_JOBINDEX',
    oneBased: true,
    maxArraySize: LSF_MAX_ARRAY_SIZE,
    canSubmit: false,
    runsLocally: false,
    dependencyStyle: 'bsub -w "done(<array>) && …" -ti',
  },
  options: ['nprocs', 'resources', 'bsubArg', 'maxRunning', 'maxArraySize'],
  render,
};
