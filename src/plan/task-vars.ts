// The variables of a template stage's tasks, kept in the plan so that `batchplan add` can resolve a
// new stage's `requires: [{stage, match}]` over a stage planned earlier (the spec is not kept):
//
//   <plan>/vars/stage-<k>.json   {"v":1,"matrix":[{"key":"group","values":[0,1,…]},…]}
//                                {"v":1,"params":[{…},…]}
//
// Task k (spec order, the k of its automatic id <stage>.<k>) has matrixVars(axes, k) or params[k].
// Read by add only; a plan written before this file existed has none (add then says so).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

export const VARS_DIR = 'vars';
export const VARS_FORMAT_VERSION = 1;

export interface Axis {
  key: string;
  values: readonly (string | number | boolean)[];
}

export type StageVariables = { matrix: Axis[] } | { params: Record<string, unknown>[] };

/** The k-th combination; the first key varies slowest (like nested loops written in order). */
export function matrixVars(axes: readonly Axis[], k: number): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (let a = axes.length - 1; a >= 0; a--) {
    const axis = axes[a]!;
    vars[axis.key] = axis.values[k % axis.values.length];
    k = Math.floor(k / axis.values.length);
  }
  return vars;
}

export function varsFile(planDir: string, stageIndex: number): string {
  return join(planDir, VARS_DIR, `stage-${stageIndex}.json`);
}

/** Write the variables of each template stage (index k of `stages`) into a plan directory being built. */
export function writeTaskVars(dir: string, stages: readonly { variables?: StageVariables }[]): void {
  if (!stages.some((s) => s.variables)) return;
  mkdirSync(join(dir, VARS_DIR), { recursive: true });
  stages.forEach((s, k) => {
    if (s.variables)
      writeFileAtomic(varsFile(dir, k), JSON.stringify({ v: VARS_FORMAT_VERSION, ...s.variables }) + '\n');
  });
}

/** Task k's variables for stage `stageIndex`; undefined when the plan kept none for it. */
export function readTaskVars(
  planDir: string,
  stageIndex: number,
): ((k: number) => Record<string, unknown>) | undefined {
  const path = varsFile(planDir, stageIndex);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BatchplanError('E_IO', `cannot read ${path}: ${(err as Error).message}`);
  }
  let o: { v?: unknown; matrix?: Axis[]; params?: Record<string, unknown>[] };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    throw new BatchplanError('E_PLAN_CORRUPT', `${path} is not valid JSON`);
  }
  if (o.v !== VARS_FORMAT_VERSION)
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `${path} has format ${JSON.stringify(o.v)}; this batchplan reads ${VARS_FORMAT_VERSION}`,
    );
  if (Array.isArray(o.matrix)) {
    const axes = o.matrix;
    return (k) => matrixVars(axes, k);
  }
  if (Array.isArray(o.params)) {
    const params = o.params;
    return (k) => params[k] ?? {};
  }
  throw new BatchplanError('E_PLAN_CORRUPT', `${path} holds neither a matrix nor params`);
}
