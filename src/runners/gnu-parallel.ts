// Each stage's partitions side by side under GNU parallel, stages in order.
import { localView } from './local-view.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { renderTemplate } from './templates.js';

export const render = (ctx: RenderContext<{ jobs?: number }>): RenderedFile[] => [
  {
    path: 'run.sh',
    content: renderTemplate('gnu-parallel', 'run.sh', localView(ctx, ctx.options.jobs)),
    executable: true,
  },
];
