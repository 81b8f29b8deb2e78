// Read a plan directory: plan.json in full (it is small), task records only for the slice asked for.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BatchplanError } from '../errors.js';
import { INDEX_ENTRY_BYTES, PLAN_FILE, PLAN_FORMAT, PLAN_FORMAT_VERSIONS } from './format.js';
import { stageFiles } from './generations.js';
import type { PlanFile } from './format-schema.js';
import { PLAN_FILE_JSON_SCHEMA, TASK_RECORD_JSON_SCHEMA } from './format-json-schema.js';
import { checkJson } from '../util/json-check.js';
import type { PlanStage, TaskRecord } from './model.js';
import { didYouMean } from '../util/did-you-mean.js';
import { VERSION } from '../version.js';

export interface Plan {
  dir: string;
  file: PlanFile;
}

export function readPlan(dir: string): Plan {
  const abs = resolve(dir);
  let text: string;
  try {
    if (!statSync(abs).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    text = readFileSync(join(abs, PLAN_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' || code === 'ENOTDIR' ? 'no plan directory' : `cannot read plan (${code})`;
    throw new BatchplanError(
      'E_PLAN_NOT_FOUND',
      `${what} at ${abs}`,
      'Create one with `batchplan plan <spec> -o <dir>`.',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `${join(abs, PLAN_FILE)} is not valid JSON`,
      'Re-create the plan with `batchplan plan --force`.',
    );
  }
  const head = data as { format?: unknown; version?: unknown; batchplanVersion?: unknown };
  if (head?.format !== PLAN_FORMAT)
    throw new BatchplanError('E_PLAN_CORRUPT', `${join(abs, PLAN_FILE)} is not a batchplan plan file`);
  if (!PLAN_FORMAT_VERSIONS.includes(head.version as number)) {
    const newer = typeof head.version === 'number' && head.version > Math.max(...PLAN_FORMAT_VERSIONS);
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `plan ${abs} has format version ${String(head.version)} (written by batchplan ${String(head.batchplanVersion)}); this batchplan (${VERSION}) reads version ${PLAN_FORMAT_VERSIONS.join(', ')}`,
      newer
        ? `Upgrade batchplan to ${String(head.batchplanVersion)} or newer wherever the plan runs (login and compute nodes): this one cannot run it. Re-creating the plan would lose its recorded work.`
        : 'Use the batchplan version that wrote the plan, or re-create the plan from its spec.',
    );
  }
  const problem = checkJson(data, PLAN_FILE_JSON_SCHEMA);
  if (problem)
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `${join(abs, PLAN_FILE)} is damaged: ${problem.path.join('.')}: ${problem.message}`,
    );
  return { dir: abs, file: data as PlanFile };
}

export function findStage(plan: Plan, name: string): { stage: PlanStage; index: number } {
  const index = plan.file.stages.findIndex((s) => s.name === name);
  if (index < 0)
    throw new BatchplanError(
      'E_UNKNOWN_STAGE',
      `no stage '${name}' in plan ${plan.dir}${didYouMean(
        name,
        plan.file.stages.map((s) => s.name),
      )}`,
      `Stages: ${plan.file.stages.map((s) => s.name).join(', ')}`,
    );
  return { stage: plan.file.stages[index]!, index };
}

/** The tasks.jsonl (or its generation's) bytes of a stage's records [start, end) (stage-relative indices). */
export function readTaskBytes(plan: Plan, stage: PlanStage, start: number, end: number): Buffer {
  if (end <= start) return Buffer.alloc(0);
  const first = stage.firstTask + start;
  const count = end - start;
  // Tasks of added stages are in their generation's files, indexed from its first task.
  const files = stageFiles(plan, stage);
  const idx = readRange(
    files.index,
    (first - files.firstTask) * INDEX_ENTRY_BYTES,
    (count + 1) * INDEX_ENTRY_BYTES,
  );
  const view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  const from = view.getFloat64(0, true);
  return readRange(files.tasks, from, view.getFloat64(count * INDEX_ENTRY_BYTES, true) - from);
}

/** Task records [start, end) of a stage (stage-relative indices). Reads only those bytes. */
export function readTasks(plan: Plan, stage: PlanStage, start: number, end: number): TaskRecord[] {
  if (end <= start) return [];
  const first = stage.firstTask + start;
  const count = end - start;
  const bytes = readTaskBytes(plan, stage, start, end);
  const lines = bytes.toString('utf8').split('\n');
  const files = stageFiles(plan, stage);
  if (lines.length !== count + 1 || lines[count] !== '')
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `${files.tasks} does not match ${files.index} for stage '${stage.name}'`,
    );
  return lines.slice(0, count).map((line, k) => parseRecord(files.tasks, line, first + k));
}

/**
 * Most records are just `{id, cmd}`: checked without walking the schema (performance: checkJson
 * was a quarter of listing a million tasks), while the schema requires exactly those two strings.
 */
const PLAIN_OK = (() => {
  const { required, properties: p } = TASK_RECORD_JSON_SCHEMA as {
    required?: string[];
    properties?: Record<string, { type?: string }>;
  };
  return required?.join() === 'id,cmd' && p?.id?.type === 'string' && p.cmd?.type === 'string';
})();

function isPlain(r: unknown): boolean {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  let n = 0;
  for (const key in r) if (++n > 2 || (key !== 'id' && key !== 'cmd')) return false;
  const { id, cmd } = r as { id?: unknown; cmd?: unknown };
  return n === 2 && typeof id === 'string' && typeof cmd === 'string';
}

function parseRecord(tasksFile: string, line: string, k: number): TaskRecord {
  try {
    const record: unknown = JSON.parse(line);
    if (!(PLAIN_OK && isPlain(record)) && checkJson(record, TASK_RECORD_JSON_SCHEMA))
      throw new Error('damaged');
    return record as TaskRecord;
  } catch {
    throw new BatchplanError('E_PLAN_CORRUPT', `task record ${k} in ${tasksFile} is damaged`);
  }
}

function readRange(path: string, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new BatchplanError('E_PLAN_CORRUPT', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, position + got);
      if (n === 0) throw new BatchplanError('E_PLAN_CORRUPT', `${path} is shorter than its index says`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
