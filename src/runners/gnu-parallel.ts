import { localView } from './local-view.js';
import type { Runner } from './runner.js';
import { renderTemplate } from './templates.js';

/** Each stage's partitions side by side under GNU parallel, stages in order. */
export const gnuParallel: Runner = {
  name: 'gnu-parallel',
  summary: 'bash script: stages in order, each stage’s partitions at once under GNU parallel (-j --jobs)',
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
    dependencyStyle: 'stage barrier in the script',
  },
  options: ['nprocs', 'jobs'],
  render: (ctx) => [
    { path: 'run.sh', content: renderTemplate('gnu-parallel', 'run.sh', localView(ctx)), executable: true },
  ],
};
