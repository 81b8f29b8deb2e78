import { defineRunner } from './descriptor.js';

/** One `batchplan run-partition PLAN STAGE N i` line per partition, nothing else (for other tools). */
export const lines = defineRunner({
  name: 'lines',
  summary: 'one `batchplan run-partition PLAN STAGE N i` line per partition, stages in order, nothing else',
  table: {
    renders: 'one `batchplan run-partition` command line per partition, nothing else',
    run: 'by whatever runs a list of commands (`xargs -P`, a workflow engine)',
    requires: '—',
    stageOrder: 'none: the lines are in stage order; whoever runs them keeps the stages apart',
    tested: 'golden files + the conformance suite runs each line',
  },
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
    commandList: true,
  },
  flags: {},
  // The lines are run by another tool, on this machine or elsewhere: name batchplan as found on PATH.
  remoteBatchplanCommand: 'batchplan',
  load: () => import('./lines.js'),
});
