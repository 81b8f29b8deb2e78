import { localView } from './local-view.js';
import type { Runner } from './runner.js';
import { renderTemplate } from './templates.js';

/** Every partition of every stage, one after another, on this machine. */
export const sequential: Runner = {
  name: 'sequential',
  summary: 'bash script: stages in order, partitions one after another on this machine',
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
    dependencyStyle: 'stage barrier in the script',
  },
  options: ['nprocs'],
  render: (ctx) => [
    { path: 'run.sh', content: renderTemplate('sequential', 'run.sh', localView(ctx)), executable: true },
  ],
};
