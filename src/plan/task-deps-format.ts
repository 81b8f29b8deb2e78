// Task-level dependencies as stored in the plan directory, one small file per dependant stage:
//
//   <plan>/deps/stage-<k>.json   {"v":1,"segments":[[from, n, [[stage, start, width, stride], …]], …]}
//
// A segment says: each task p in [from, from + n) of stage k (stage-relative, run order) requires,
// for every [stage, start, width, stride], the tasks [start + j·stride, start + j·stride + width)
// of that earlier stage, j = p - from. Runs of tasks whose requirements shift by a constant stride
// share one segment: qdo's 32 `merge G` tasks, each needing its group's 25 extracts, are one
// segment, whatever the partition counts chosen later. Kept free of zod: run-partition reads it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';

export const DEPS_DIR = 'deps';
export const DEPS_FORMAT_VERSION = 1;

/** [stage index in the plan, start, width, stride]. */
export type RequiredRun = [number, number, number, number];
/** [first task, task count, requirements]. */
export type DepSegment = [number, number, RequiredRun[]];

/** For one required stage: per partition of the dependant stage, the ones it needs (sorted). */
export interface PartitionNeeds {
  stage: number;
  partitions: number[][];
}

export interface StageDeps {
  v: typeof DEPS_FORMAT_VERSION;
  segments: DepSegment[];
}

export function depsFile(planDir: string, stageIndex: number): string {
  return join(planDir, DEPS_DIR, `stage-${stageIndex}.json`);
}

/** The stage's segments, sorted by first task. A stage with `requires` in plan.json must have them. */
export function readStageDeps(planDir: string, stageIndex: number, stageCount: number): DepSegment[] {
  const path = depsFile(planDir, stageIndex);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const what = (err as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `cannot read the task dependencies ${path} (${what})`,
      'Re-create the plan from its spec with `batchplan plan --force`.',
    );
  }
  const o = parsed as Partial<StageDeps> | null;
  if (o?.v !== DEPS_FORMAT_VERSION)
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `${path} has format ${JSON.stringify(o?.v)}; this batchplan reads ${DEPS_FORMAT_VERSION}`,
      'Use the batchplan version that wrote the plan, or re-create the plan from its spec.',
    );
  const segs = o.segments;
  const ok =
    Array.isArray(segs) &&
    segs.every(
      (s) =>
        Array.isArray(s) &&
        s.length === 3 &&
        Number.isInteger(s[0]) &&
        Number.isInteger(s[1]) &&
        s[0] >= 0 &&
        s[1] > 0 &&
        s[0] + s[1] <= stageCount &&
        Array.isArray(s[2]) &&
        s[2].every((r) => Array.isArray(r) && r.length === 4 && r.every(Number.isInteger)),
    );
  if (!ok) throw new BatchplanError('E_PLAN_CORRUPT', `${path} is damaged (a segment is malformed)`);
  return segs;
}
