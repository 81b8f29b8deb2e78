import { defineRunner } from './descriptor.js';

/** Every partition of every stage, one after another, on this machine. */
export const sequential = defineRunner({
  name: 'sequential',
  summary: 'bash script: stages in order, partitions one after another on this machine',
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
    dependencyStyle: 'stage barrier in the script',
  },
  flags: {},
  load: () => import('./sequential.js'),
});
