import { fluxScheduler } from './flux-scheduler.js';
import { defineRunner, type OptionsOf } from './descriptor.js';

// Flux's --cc has no throttle, and no array size limit: no --max-running, no --max-array-size.
const flags = {};

export type FluxOptions = OptionsOf<typeof flags>;

/** Flux: a `flux batch` script per stage, run --cc=0-(P-1) times, chained with afterok; rendering only. */
export const flux = defineRunner({
  name: 'flux',
  summary:
    'flux batch script per stage (--cc=0-N, FLUX_JOB_CC) + submit.sh chaining them with --dependency=afterok (rendering only)',
  table: {
    renders: '`submit.sh` + one `flux batch` script per stage, one job per partition (`--cc`)',
    run: '`bash submit.sh`',
    requires: 'barrier',
    stageOrder: '`--dependency=afterok:<id>` on each job of the stages it follows',
    tested: 'golden files from the manual + `submit.sh` against a stand-in `flux` (no Flux here)',
  },
  capabilities: {
    indexVariables: [{ name: 'FLUX_JOB_CC', oneBased: false, scheduler: 'Flux' }],
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
  },
  flags,
  resources: ['time', 'cpusPerTask', 'gpus', 'gpusPerTask', 'nodes', 'account', 'partition', 'constraint'],
  schedulerArgs: { flag: '--flux-arg <arg>', command: 'flux batch' },
  scheduler: fluxScheduler,
  load: () => import('./flux.js'),
});
