import { maxArraySize, maxRunning } from './common-flags.js';
import { ALL_RESOURCES, choice, defineRunner, duration, type OptionsOf } from './descriptor.js';
import { slurmScheduler } from './slurm-scheduler.js';

export const SLURM_MAX_ARRAY_SIZE = 1001; // Slurm's default MaxArraySize

const flags = {
  maxRunning,
  maxArraySize,
  signalGrace: duration(
    '--signal-grace <duration>',
    'warn run-partition this long before the wallclock limit',
    '120s',
  ),
  layout: choice(
    '--layout <layout>',
    ['arrays', 'allocation'],
    'one array per stage, or one job for all stages',
    'arrays',
  ),
};

export type SlurmOptions = OptionsOf<typeof flags>;

/** One sbatch array per stage chained by afterok, or (--layout allocation) one job for every stage. */
export const slurm = defineRunner({
  name: 'slurm',
  summary:
    'sbatch array script per stage + submit.sh chaining them with afterok dependencies (or --layout allocation)',
  table: {
    renders:
      '`submit.sh` + one sbatch array script per stage, or `allocation.sbatch` (`--layout allocation`)',
    run: '`bash submit.sh` or `batchplan submit`; `status`/`wait`/`cancel`',
    requires: 'per partition',
    stageOrder: '`afterok` + `--kill-on-invalid-dep=yes`',
    tested: 'for real (single-node Slurm 22.05) + golden files',
  },
  capabilities: {
    indexVariables: [{ name: 'SLURM_ARRAY_TASK_ID', oneBased: false, scheduler: 'Slurm' }],
    oneBased: false,
    maxArraySize: SLURM_MAX_ARRAY_SIZE,
    canSubmit: true,
    runsLocally: false,
  },
  flags,
  resources: ALL_RESOURCES,
  schedulerArgs: { flag: '--sbatch-arg <arg>', command: 'sbatch', legacySpecKey: 'sbatch_args' },
  scheduler: slurmScheduler,
  load: () => import('./slurm.js'),
});
