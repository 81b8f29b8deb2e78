// `run-partition … auto`: the partition index from the scheduler's array variable. The one place
// where a one-based scheduler index is turned into batchplan's zero-based partition index.
import { usageError } from '../errors.js';
import type { IndexVariable } from '../runners/descriptor.js';
import { RUNNER_INDEX_VARIABLES } from './index-variables.js';

/**
 * Checked in this order: each runner's own (from the descriptors, through a generated table), then schedulers batchplan has no
 * runner for. Slurm's PBS layer sets PBS_ARRAY_INDEX too, with the same value as SLURM_ARRAY_TASK_ID.
 */
export const INDEX_VARIABLES: readonly IndexVariable[] = [
  ...RUNNER_INDEX_VARIABLES,
  { name: 'AWS_BATCH_JOB_ARRAY_INDEX', oneBased: false, scheduler: 'AWS Batch' },
];

export interface IndexOptions {
  /** Added to the (zero-based) index: the first partition of a split array (--index-offset). */
  offset?: number;
  /** Read this variable instead of the known ones. */
  indexVar?: string;
  /** The index (given or read from --index-var) counts from one. */
  oneBased?: boolean;
}

export function resolvePartitionIndex(arg: string, env: NodeJS.ProcessEnv, opts: IndexOptions = {}): number {
  return rawIndex(arg, env, opts) + (opts.offset ?? 0);
}

function rawIndex(arg: string, env: NodeJS.ProcessEnv, opts: IndexOptions): number {
  if (arg !== 'auto') {
    if (!/^\d+$/.test(arg))
      throw usageError(`partition index '${arg}' is not a non-negative integer or 'auto'`);
    return toZeroBased(Number(arg), opts.oneBased ?? false, 'the partition index');
  }
  if (opts.indexVar) {
    const value = env[opts.indexVar];
    if (value === undefined || !/^\d+$/.test(value))
      throw usageError(
        `--index-var ${opts.indexVar} is ${value === undefined ? 'not set' : `'${value}', not an integer`}`,
      );
    return toZeroBased(Number(value), opts.oneBased ?? false, opts.indexVar);
  }
  for (const v of INDEX_VARIABLES) {
    const value = env[v.name];
    // Grid Engine sets SGE_TASK_ID=undefined in a job that is not an array.
    if (value !== undefined && /^\d+$/.test(value))
      return toZeroBased(Number(value), v.oneBased || (opts.oneBased ?? false), v.name);
  }
  throw usageError(
    "partition index 'auto', but no scheduler array index is set",
    `Looked for ${INDEX_VARIABLES.map((v) => v.name).join(', ')}. Pass the index, or --index-var NAME [--one-based].`,
  );
}

function toZeroBased(n: number, oneBased: boolean, what: string): number {
  if (!oneBased) return n;
  if (n < 1) throw usageError(`${what} is ${n}, but it counts from one`);
  return n - 1;
}
