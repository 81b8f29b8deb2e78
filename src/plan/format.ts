// plan.json: the plan directory's table of contents. Versioned; a reader refuses what it does not know.
// The formats themselves are zod schemas in format-schema.ts (with their types); nothing here loads zod.

export const PLAN_FORMAT = 'batchplan-plan';
// 2: resources hold each runner's settings under `runners` (was sbatchArgs, qsubArgs, bsubArgs).
export const PLAN_FORMAT_VERSION = 2;
// 3: a plan that `batchplan add` grew: stages of generation g > 0 keep their tasks in tasks.<g>.jsonl
// and tasks.<g>.idx (generations.ts). Plans without added stages stay version 2.
export const PLAN_FORMAT_VERSION_ADDED = 3;
export const PLAN_FORMAT_VERSIONS: readonly number[] = [PLAN_FORMAT_VERSION, PLAN_FORMAT_VERSION_ADDED];

export const PLAN_FILE = 'plan.json';
/** One JSON task record per line, all stages back to back in stage order. */
export const TASKS_FILE = 'tasks.jsonl';
/** (totalTasks + 1) little-endian float64 byte offsets into tasks.jsonl: task k is [off[k], off[k+1]). */
export const INDEX_FILE = 'tasks.idx';
export const INDEX_ENTRY_BYTES = 8;
