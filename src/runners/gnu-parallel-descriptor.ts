import { defineRunner, int } from './descriptor.js';

/** Each stage's partitions side by side under GNU parallel, stages in order. */
export const gnuParallel = defineRunner({
  name: 'gnu-parallel',
  summary: 'bash script: stages in order, each stage’s partitions at once under GNU parallel (-j --jobs)',
  table: {
    renders: 'one bash script driving GNU parallel (`--jobs J` partitions at once)',
    run: '`… \\| bash`',
    requires: 'per partition',
    stageOrder: 'script barrier',
    tested: 'for real (GNU parallel) + golden files',
  },
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
  },
  flags: { jobs: int('--jobs <J>', 'partitions at once (default: all of a stage’s)') },
  load: () => import('./gnu-parallel.js'),
});
