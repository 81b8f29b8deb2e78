import { defineRunner } from './descriptor.js';

/** One `batchplan run-partition PLAN STAGE N i` line per partition, nothing else (for other tools). */
export const lines = defineRunner({
  name: 'lines',
  summary: 'one `batchplan run-partition PLAN STAGE N i` line per partition, stages in order, nothing else',
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
    commandList: true,
    dependencyStyle: 'none: the lines are in stage order; whoever runs them keeps the stages apart',
  },
  flags: {},
  // The lines are run by another tool, on this machine or elsewhere: name batchplan as found on PATH.
  remoteBatchplanCommand: 'batchplan',
  load: () => import('./lines.js'),
});
