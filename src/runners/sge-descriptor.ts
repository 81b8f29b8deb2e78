import { maxArraySize, maxRunning } from './common-flags.js';
import { ALL_RESOURCES, defineRunner, str, type OptionsOf } from './descriptor.js';
import { SGE_MAX_ARRAY_SIZE, sgeScheduler } from './sge-scheduler.js';

const flags = {
  pe: str('--pe <name>', 'parallel environment for multi-CPU partitions (-pe <name> <cpus-per-task>)'),
  gpuResource: str(
    '--gpu-resource <name>',
    "the cell's GPU consumable (e.g. gpu): a partition's GPUs are asked for as -l <name>=k per slot",
  ),
  maxRunning,
  maxArraySize,
};

export type SgeOptions = OptionsOf<typeof flags>;

/** Grid Engine (Son of Grid Engine, Univa/Altair GE, OGS). */
export const sge = defineRunner({
  name: 'sge',
  summary: 'qsub array script per stage (-t 1-N, SGE_TASK_ID) + submit.sh chaining them with -hold_jid',
  table: {
    renders: '`submit.sh` + one `#$` script per stage',
    run: '`bash submit.sh` or `batchplan submit`; `status`/`wait`/`cancel`',
    requires: 'paired/barrier',
    stageOrder: '`-hold_jid`; failures delete later stages',
    tested: 'for real (Son of Grid Engine 8.1.9) + golden files',
  },
  capabilities: {
    indexVariables: [{ name: 'SGE_TASK_ID', oneBased: true, scheduler: 'Grid Engine' }],
    oneBased: true,
    maxArraySize: SGE_MAX_ARRAY_SIZE,
    canSubmit: true,
    runsLocally: false,
  },
  flags,
  // nodes, qos and constraint (and gpus without --gpu-resource) are refused when rendering, with a
  // hint at the site's complexes.
  resources: ALL_RESOURCES,
  schedulerArgs: { flag: '--qsub-arg <arg>', command: 'qsub', legacySpecKey: 'qsub_args' },
  scheduler: sgeScheduler,
  load: () => import('./sge.js'),
});
