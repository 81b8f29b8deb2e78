import { lsfScheduler } from './lsf-scheduler.js';
import { maxArraySize, maxRunning } from './common-flags.js';
import { ALL_RESOURCES, defineRunner, type OptionsOf } from './descriptor.js';

/** LSF's default MAX_JOB_ARRAY_SIZE (lsb.params): the largest index, and so the largest array. */
export const LSF_MAX_ARRAY_SIZE = 1000;

const flags = { maxRunning, maxArraySize };

export type LsfOptions = OptionsOf<typeof flags>;

/** LSF: bsub arrays chained with -w "done(<id>)"; rendering only (no LSF runs here). */
export const lsf = defineRunner({
  name: 'lsf',
  summary: 'bsub array script per stage + submit.sh chaining them with -w "done(<id>)" (rendering only)',
  table: {
    renders: '`submit.sh` + one `#BSUB` array script per stage',
    run: '`bash submit.sh`',
    requires: 'paired/barrier',
    stageOrder: '`-w "done(<id>)"` + `-ti`',
    tested: "golden files from the manual's rules + `submit.sh` against a stand-in `bsub` (no LSF here)",
  },
  capabilities: {
    indexVariables: [{ name: 'LSB_JOBINDEX', oneBased: true, scheduler: 'LSF' }],
    oneBased: true,
    maxArraySize: LSF_MAX_ARRAY_SIZE,
    canSubmit: false,
    runsLocally: false,
  },
  flags,
  resources: ALL_RESOURCES,
  schedulerArgs: { flag: '--bsub-arg <arg>', command: 'bsub', legacySpecKey: 'bsub_args' },
  scheduler: lsfScheduler,
  load: () => import('./lsf.js'),
});
