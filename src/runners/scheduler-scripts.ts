// A scheduler runner's files: one batch script per stage and submit.sh, the runner's submit steps
// rendered as bash (submit-script.ts). One place, so that such a runner says only what differs: its
// templates, its directives and its submissions.
import type { RenderContext, RenderedFile, RenderStage } from './render-context.js';
import type { ArraySubmission, SchedulerAdapter } from './scheduler.js';
import { submitScriptView } from './submit-script.js';
import { renderTemplate } from './templates.js';

export interface SchedulerScripts {
  /** templates/<runner>/, and the runner named in the submission record. */
  runner: string;
  /** The stage template, e.g. 'stage.sbatch' (templates/<runner>/stage.sbatch.hbs). */
  stageTemplate: string;
  /** Where stage `index`'s script goes (what the submissions' `file` name). */
  stageFile: (index: number) => string;
  /** What every template of the runner sees (scriptView and the runner's own). */
  view: object;
  /** A stage script's directive lines, without their prefix (#SBATCH, #PBS …). */
  directives: (stage: RenderStage) => string[];
  /** What submit.sh sees besides the view and its submit steps. */
  submitView?: object;
  scheduler: SchedulerAdapter;
  submissions: readonly ArraySubmission[];
  /** Whether submit.sh writes the submission record (for schedulers batchplan can submit to). */
  record: boolean;
}

export function schedulerScripts(ctx: RenderContext, s: SchedulerScripts): RenderedFile[] {
  const stageScripts = ctx.stages.map((stage) => {
    const content = renderTemplate(s.runner, s.stageTemplate, {
      ...s.view,
      stage: { ...stage, number: stage.index + 1 },
      directives: s.directives(stage),
    });
    return { path: s.stageFile(stage.index), content, executable: true };
  });
  const driver = renderTemplate(s.runner, 'submit.sh', {
    ...s.view,
    ...s.submitView,
    ...submitScriptView(ctx, s.runner, s.scheduler, s.submissions, { record: s.record }),
  });
  return [{ path: 'submit.sh', content: driver, executable: true }, ...stageScripts];
}
