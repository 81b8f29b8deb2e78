// Every partition of every stage, one after another, on this machine.
import { localView } from './local-view.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { renderTemplate } from './templates.js';

export const render = (ctx: RenderContext): RenderedFile[] => [
  { path: 'run.sh', content: renderTemplate('sequential', 'run.sh', localView(ctx)), executable: true },
];
