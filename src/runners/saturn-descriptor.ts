import { image } from './common-flags.js';
import { bool, defineRunner, int, list, str, type OptionsOf } from './descriptor.js';

const flags = {
  image,
  instanceType: str('--instance-type <type>', 'machine type'),
  name: str('--name <name>', "job name (else the --recipe's); several stages add the stage's index"),
  scale: int('--scale <n>', 'machines'),
  spot: bool('--spot', 'use spot instances'),
  recipe: str('--recipe <file>', 'an existing recipe (YAML/JSON) to start from, keeping its other fields'),
  sync: list('--sync <dir>', 'local directory to copy into the job’s working directory (repeatable)'),
  sharedPath: str(
    '--shared-path <path>',
    'a path shared by every machine, holding the plan (instead of --sync)',
  ),
};

export type SaturnOptions = OptionsOf<typeof flags>;

/** Saturn Cloud: a job recipe per stage, started in order by apply.sh; rendering only. */
export const saturn = defineRunner({
  name: 'saturn',
  summary: 'a Saturn Cloud job recipe per stage + apply.sh starting them in order (rendering only)',
  table: {
    renders: 'one Saturn Cloud job recipe per stage + `apply.sh`',
    run: '`bash apply.sh` (sc)',
    requires: 'barrier',
    stageOrder: "each stage's recipe after the previous job completed",
    tested: 'golden files + a zod schema of the recipe (no Saturn here)',
  },
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
  },
  flags,
  remoteBatchplanCommand: 'batchplan',
  load: () => import('./saturn.js'),
});
