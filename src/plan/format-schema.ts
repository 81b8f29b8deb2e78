// The plan directory's formats as zod schemas: the one source of what plan.json and a task record
// may hold. Readers check files against the JSON Schemas generated from these
// (format-json-schema.ts, kept equal by a test), so that run-partition does not load zod.
import { z } from 'zod';
import { RUNNERS } from '../runners/registry.js';
import {
  PLAN_FORMAT,
  PLAN_FORMAT_VERSION,
  PLAN_FORMAT_VERSION_ADDED,
  PLAN_FORMAT_VERSION_PARTITIONS,
  PLAN_FORMAT_VERSION_SKIP_FAILURES,
} from './format.js';

const settings = {
  nprocs: z.int().positive().optional(),
  /** gpus_per_slot: `gpus` GPUs for every `slots` slots, one of them 1 (plan/gpu-share.ts). */
  gpusPerSlot: z.strictObject({ gpus: z.int().positive(), slots: z.int().positive() }).optional(),
  retries: z.int().min(0),
  timeout: z.number().positive().optional(),
  backoff: z.number().min(0),
  env: z.record(z.string(), z.string()),
  cwd: z.string().optional(),
  shell: z.string(),
  maxFails: z.int().positive().optional(),
  balance: z.boolean().optional(),
  backup: z.number().min(1).optional(),
  skipFailures: z.literal(true).optional(),
};

const resources = z.strictObject({
  time: z.number().positive().optional(),
  cpusPerTask: z.int().positive().optional(),
  mem: z.string().optional(),
  gpusPerTask: z.int().positive().optional(),
  gpus: z.int().positive().optional(),
  nodes: z.int().positive().optional(),
  account: z.string().optional(),
  partition: z.string().optional(),
  qos: z.string().optional(),
  constraint: z.string().optional(),
  // One entry per runner with settings of its own (the registry says which).
  runners: z
    .strictObject(
      Object.fromEntries(
        RUNNERS.filter((r) => r.schedulerArgs).map((r) => [
          r.name,
          z.strictObject({ args: z.array(z.string()).optional() }).optional(),
        ]),
      ),
    )
    .optional(),
});

export const planStageSchema = z.strictObject({
  name: z.string(),
  after: z.array(z.string()),
  /** Stages of `after` whose tasks this stage needs one by one (deps/stage-<k>.json says which). */
  requires: z.array(z.string()).optional(),
  /** The first tasks, of the stage's highest priority: they start before its others (exec/urgent-first.ts). */
  urgent: z.int().positive().optional(),
  /** The stage's own partition count: it wins over the N asked for (plan/partition.ts). */
  partitions: z.int().positive().optional(),
  tasks: z.int().min(0),
  firstTask: z.int().min(0),
  /** The `batchplan add` that appended the stage (generations.ts); absent: the plan's own. */
  generation: z.int().positive().optional(),
  resources,
  ...settings,
});

const source = z.strictObject({
  file: z.string(),
  format: z.enum(['spec', 'commands', 'saturn']),
  sha256: z.string(),
});

export const planFileSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal([
    PLAN_FORMAT_VERSION,
    PLAN_FORMAT_VERSION_ADDED,
    PLAN_FORMAT_VERSION_PARTITIONS,
    PLAN_FORMAT_VERSION_SKIP_FAILURES,
  ]),
  batchplanVersion: z.string(),
  createdAt: z.string(),
  source,
  defaults: z.strictObject({ ...settings, resources }),
  totalTasks: z.int().min(0),
  stages: z.array(planStageSchema),
  /** Each `batchplan add`, in order: generation g is generations[g - 1]. */
  generations: z
    .array(
      z.strictObject({
        generation: z.int().positive(),
        createdAt: z.string(),
        batchplanVersion: z.string(),
        source,
        /** Its tasks are the plan's tasks [firstTask, firstTask + tasks). */
        firstTask: z.int().min(0),
        tasks: z.int().min(0),
      }),
    )
    .optional(),
});
export type PlanFile = z.infer<typeof planFileSchema>;

export const taskRecordSchema = z.strictObject({
  id: z.string(),
  cmd: z.string(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  retries: z.int().min(0).optional(),
  timeout: z.number().positive().optional(),
  backoff: z.number().min(0).optional(),
  output: z.string().optional(),
});
