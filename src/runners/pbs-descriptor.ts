import { maxArraySize, maxRunning } from './common-flags.js';
import { ALL_RESOURCES, choice, defineRunner, type OptionsOf } from './descriptor.js';
import { DEFAULT_FLAVOR, pbsScheduler } from './pbs-scheduler.js';

/** PBS Pro's default `max_array_size` server attribute. */
export const PBS_MAX_ARRAY_SIZE = 10000;

const flags = {
  maxRunning,
  maxArraySize,
  flavor: choice(
    '--flavor <flavor>',
    ['pro', 'torque'],
    'PBS Pro (-J, PBS_ARRAY_INDEX) or Torque (-t, PBS_ARRAYID)',
  ),
};

export type PbsOptions = OptionsOf<typeof flags>;

/** PBS Professional / OpenPBS (--flavor pro) and Torque (--flavor torque). */
export const pbs = defineRunner({
  name: 'pbs',
  summary: `qsub array script per stage (--flavor pro: -J, PBS_ARRAY_INDEX; torque: -t, PBS_ARRAYID; default ${DEFAULT_FLAVOR}) + submit.sh chaining them with -W depend=afterok`,
  table: {
    renders: '`submit.sh` + one `#PBS` script per stage, `--flavor pro` (`-J`) or `torque` (`-t`)',
    run: '`bash submit.sh` or `batchplan submit`; `status`/`wait`/`cancel`',
    requires: 'barrier',
    stageOrder: '`-W depend=afterok:` (`afterokarray` on Torque)',
    tested:
      "for real through Slurm's PBS layer (both flavours) + golden files; real PBS output formats from the manuals",
  },
  capabilities: {
    indexVariables: [
      { name: 'PBS_ARRAY_INDEX', oneBased: false, scheduler: 'PBS Pro' },
      { name: 'PBS_ARRAYID', oneBased: false, scheduler: 'Torque' },
    ],
    oneBased: false,
    maxArraySize: PBS_MAX_ARRAY_SIZE,
    canSubmit: true,
    runsLocally: false,
  },
  flags,
  resources: ALL_RESOURCES,
  schedulerArgs: { flag: '--qsub-arg <arg>', command: 'qsub', legacySpecKey: 'qsub_args' },
  scheduler: pbsScheduler,
  load: () => import('./pbs.js'),
});
