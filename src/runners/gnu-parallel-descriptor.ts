import { defineRunner, int } from './descriptor.js';

/** Each stage's partitions side by side under GNU parallel, stages in order. */
export const gnuParallel = defineRunner({
  name: 'gnu-parallel',
  summary: 'bash script: stages in order, each stage’s partitions at once under GNU parallel (-j --jobs)',
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
    dependencyStyle: 'stage barrier in the script',
  },
  flags: { jobs: int('--jobs <J>', 'partitions at once (default: all of a stage’s)') },
  load: () => import('./gnu-parallel.js'),
});
