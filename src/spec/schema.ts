// The spec's shape, as the user writes it. This schema is the single source of truth: the loader
// validates with it, the types below are inferred from it, and `schema/spec.schema.json` (for
// editors) is generated from it. Strict objects everywhere: an unknown key is an error.
import { z } from 'zod';
import { RUNNERS } from '../runners/registry.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `10m`, `1h30m`, `90s`, `2:00:00`, or a number of seconds. */
export const durationSchema = z.union([z.number().positive(), z.string().min(1)]);

export const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid variable name'),
  scalar,
);

const stageName = z
  .string()
  .min(1)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters or newlines');

/** Each runner's own settings, `resources.<runner>` (from the registry: runners with scheduler args). */
function runnerSettings() {
  const shape: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const r of RUNNERS) {
    if (!r.schedulerArgs) continue;
    const { command, legacySpecKey } = r.schedulerArgs;
    shape[r.name] = z
      .strictObject({
        args: z
          .array(z.string().min(1))
          .optional()
          .describe(`Further ${command} options; each item is one argument word, e.g. ["--mail-type=FAIL"].`),
      })
      .optional()
      .describe(`Settings of runner ${r.name} only.`);
    if (legacySpecKey && !shape[legacySpecKey])
      shape[legacySpecKey] = z
        .array(z.string().min(1))
        .optional()
        .describe(`Further ${command} options (older spelling of ${r.name}.args).`);
  }
  return shape;
}

/**
 * What a stage asks a scheduler for, per partition (one array element). `generate-script`/`submit`
 * flags override `defaults.resources`; a stage's own `resources` override both.
 */
export const resourcesSchema = z.strictObject({
  time: durationSchema.optional(),
  cpus_per_task: z.int().positive().optional(),
  mem: z
    .union([
      z.int().positive(),
      z.string().regex(/^\d+(\.\d+)?\s*[KMGT]?B?$/i, 'use e.g. 4G, 500M or a number of MB'),
    ])
    .optional(),
  gpus_per_task: z.int().positive().optional(),
  gpus: z.int().positive().optional(),
  nodes: z.int().positive().optional(),
  account: z.string().min(1).optional(),
  partition: z.string().min(1).optional(),
  qos: z.string().min(1).optional(),
  constraint: z.string().min(1).optional(),
  ...runnerSettings(),
});

/** Options a task inherits from its stage, which inherits from `defaults`. */
const inherited = {
  retries: z.int().min(0).optional(),
  timeout: durationSchema.optional(),
  backoff: durationSchema.optional(),
  env: envSchema.optional(),
  cwd: z.string().min(1).optional(),
};

/**
 * What a task requires before it may start (task-level dependencies, src/plan/task-deps.ts): a task
 * id (a template in template stages: `setup.{{group}}`), or the tasks of an earlier stage whose
 * variables match: `{stage: extract, match: {group: "{{group}}"}}` (values are templates too).
 */
export const requirementSchema = z.union([
  z.string().min(1),
  z.strictObject({
    stage: z.string().min(1),
    match: z
      .record(z.string().min(1), scalar)
      .refine((m) => Object.keys(m).length > 0, 'give at least one variable to match'),
  }),
]);

export const taskSchema = z.strictObject({
  id: z.string().min(1).optional(),
  cmd: z.string().min(1),
  priority: z.number().optional(),
  requires: z.array(requirementSchema).optional(),
  output: z.string().min(1).optional(),
  ...inherited,
});

const rangeSchema = z.strictObject({
  range: z.union([z.tuple([z.int(), z.int()]), z.tuple([z.int(), z.int(), z.int().positive()])]),
});

const paramsRowSchema = z.record(z.string(), scalar);

/** `params: {file: runs.jsonl}`: the rows from a file (spec/params-file.ts reads it at load time). */
const paramsFileSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .describe('A .jsonl, .json, .yaml or .csv/.tsv file (header row) of one object per task.'),
  format: z.enum(['jsonl', 'json', 'yaml', 'csv', 'tsv']).optional(),
});

export const matrixSchema = z.record(z.string().min(1), z.union([z.array(scalar).min(1), rangeSchema]));

/** HyperQueue's --max-fails: the stage launches no more tasks once this many of them have failed. */
const maxFails = z
  .int()
  .positive()
  .optional()
  .describe('Launch no more tasks of the stage once this many of its tasks have failed (docs/retry.md).');

/** Balanced mode (docs/balancing.md): the stage's partitions share its work; BATCHPLAN_BALANCE overrides it. */
const balance = z
  .boolean()
  .optional()
  .describe(
    "Partitions take unstarted tasks from the stage's busy partitions when their own are done (docs/balancing.md); --balance/--no-balance and BATCHPLAN_BALANCE override it.",
  );

/** Backup tasks (exec/balance-backup.ts) in balanced mode: on, off, or the threshold factor. */
const backup = z
  .union([z.boolean(), z.number().min(1)])
  .optional()
  .describe(
    "Balanced mode: an idle partition may start a second copy of a task running over this many times the stage's median duration (true: 3); off by default. BATCHPLAN_BACKUP overrides it; a task whose env sets BATCHPLAN_NO_BACKUP=1 never gets one (docs/balancing.md).",
  );

/** Saturn's --skip-failures (docs/retry.md): a task that failed in an earlier run is not run again. */
const skipFailures = z
  .boolean({
    // `skip_failures: yes` is the string "yes" in YAML 1.2: say what to write instead.
    error: (issue) => `expected true or false, not ${JSON.stringify(issue.input)} (write true, unquoted)`,
  })
  .optional()
  .describe(
    'Leave tasks that failed in an earlier run alone: not run again (they stay failed), and submit submits no partition whose only unfinished tasks failed; retry makes them run again. As --skip-failures of run, run-partition, generate-script and submit. Not with balance: true.',
  );

/** GPUs each task slot gets (docs/gpus.md): checked in the compiler, which names the stage (compile.ts). */
const gpusPerSlot = z
  .union([z.number(), z.string()])
  .meta({
    description:
      'GPUs per task slot: a whole number (each slot gets its own), or "1/k" (k slots share one GPU). The runners ask the scheduler for slots × this many; run-partition gives each slot its GPUs (CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES).',
  })
  .optional();

/**
 * A stage's own partition count, or its target partition size. Checked in the compiler, which
 * names the stage (plan/compile.ts stagePartitionCount); editors see a positive integer.
 */
const partitionCount = (description: string) =>
  z.number().meta({ type: 'integer', minimum: 1, description }).optional();

export const stageSchema = z.strictObject({
  name: stageName,
  after: z.array(z.string()).optional(),
  resources: resourcesSchema.optional(),
  partitions: partitionCount(
    "This stage's partition count, whatever N generate-script/submit/run-hosts are given (N applies to stages that set none).",
  ),
  tasks_per_partition: partitionCount(
    'Instead of `partitions`: as many partitions as it takes to hold at most this many tasks each.',
  ),
  nprocs: z.int().positive().optional(),
  gpus_per_slot: gpusPerSlot,
  max_fails: maxFails,
  skip_failures: skipFailures,
  balance,
  backup,
  shell: z.string().min(1).optional(),
  ...inherited,
  tasks: z.array(taskSchema).optional(),
  template: z.string().min(1).optional(),
  params: z.union([z.array(paramsRowSchema), paramsFileSchema]).optional(),
  matrix: matrixSchema.optional(),
  /** For template stages: a Handlebars template of each task's Saturn-style output directory. */
  output: z.string().min(1).optional(),
  /** For template stages: what every task requires (templates over its variables). */
  requires: z.array(requirementSchema).optional(),
  /** For template stages: each task's priority, a number or a template that renders one. */
  priority: z.union([z.number(), z.string().min(1)]).optional(),
});

export const defaultsSchema = z.strictObject({
  resources: resourcesSchema.optional(),
  nprocs: z.int().positive().optional(),
  gpus_per_slot: gpusPerSlot,
  max_fails: maxFails,
  skip_failures: skipFailures,
  balance,
  backup,
  shell: z.string().min(1).optional(),
  ...inherited,
});

export const specSchema = z.strictObject({
  $schema: z.string().optional(),
  defaults: defaultsSchema.optional(),
  stages: z.array(stageSchema).min(1),
});

/**
 * Saturn Cloud's batch file (`sc batch`/`sc split` input): one stage, one output directory per run.
 * As saturn-client reads it: top-level keys it ignores are kept (and warned about), a run's fields
 * are exactly its `Run` dataclass's, including the three `sc split` writes back (information only).
 */
export const saturnBatchSchema = z.looseObject({
  nprocs: z.int().positive().optional(),
  remote_output_path: z.string().min(1).optional(),
  runs: z
    .array(
      z.strictObject({
        cmd: z.string().min(1),
        remote_output_path: z.string().min(1).nullish(),
        local_results_dir: z.string().nullish(),
        status: z.string().nullish(),
        status_code: z.int().nullish(),
      }),
    )
    .min(1),
});
export const SATURN_BATCH_KEYS: readonly string[] = ['nprocs', 'remote_output_path', 'runs'];

export type Spec = z.infer<typeof specSchema>;
export type StageSpec = z.infer<typeof stageSchema>;
export type TaskSpec = z.infer<typeof taskSchema>;
export type RequirementSpec = z.infer<typeof requirementSchema>;
export type Defaults = z.infer<typeof defaultsSchema>;
export type ParamsRow = z.infer<typeof paramsRowSchema>;
export type Matrix = z.infer<typeof matrixSchema>;
export type ResourcesSpec = z.infer<typeof resourcesSchema>;
export type SaturnBatch = z.infer<typeof saturnBatchSchema>;
