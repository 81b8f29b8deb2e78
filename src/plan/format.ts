// plan.json: the plan directory's table of contents. Versioned; a reader refuses what it does not know.
import { z } from 'zod';

export const PLAN_FORMAT = 'batchplan-plan';
export const PLAN_FORMAT_VERSION = 1;

export const PLAN_FILE = 'plan.json';
/** One JSON task record per line, all stages back to back in stage order. */
export const TASKS_FILE = 'tasks.jsonl';
/** (totalTasks + 1) little-endian float64 byte offsets into tasks.jsonl: task k is [off[k], off[k+1]). */
export const INDEX_FILE = 'tasks.idx';
export const INDEX_ENTRY_BYTES = 8;

const settings = {
  nprocs: z.int().positive().optional(),
  retries: z.int().min(0),
  timeout: z.number().positive().optional(),
  backoff: z.number().min(0),
  env: z.record(z.string(), z.string()),
  cwd: z.string().optional(),
  shell: z.string(),
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
  sbatchArgs: z.array(z.string()).optional(),
  qsubArgs: z.array(z.string()).optional(),
  bsubArgs: z.array(z.string()).optional(),
});

export const planStageSchema = z.strictObject({
  name: z.string(),
  after: z.array(z.string()),
  tasks: z.int().min(0),
  firstTask: z.int().min(0),
  resources,
  ...settings,
});

export const planFileSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_FORMAT_VERSION),
  batchplanVersion: z.string(),
  createdAt: z.string(),
  source: z.strictObject({
    file: z.string(),
    format: z.enum(['spec', 'commands', 'saturn']),
    sha256: z.string(),
  }),
  defaults: z.strictObject({ ...settings, resources }),
  totalTasks: z.int().min(0),
  stages: z.array(planStageSchema),
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
