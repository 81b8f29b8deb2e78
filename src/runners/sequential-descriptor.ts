import { defineRunner } from './descriptor.js';

/** Every partition of every stage, one after another, on this machine. */
export const sequential = defineRunner({
  name: 'sequential',
  summary: 'bash script: stages in order, partitions one after another on this machine',
  table: {
    renders: 'one bash script',
    run: '`… \\| bash`',
    requires: 'per partition',
    stageOrder: 'script barrier',
    tested: 'for real (bash) + golden files',
  },
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: true,
  },
  flags: {},
  load: () => import('./sequential.js'),
});
