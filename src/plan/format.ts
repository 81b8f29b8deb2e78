// plan.json: the plan directory's table of contents. Versioned; a reader refuses what it does not know.
// The formats themselves are zod schemas in format-schema.ts (with their types); nothing here loads zod.

export const PLAN_FORMAT = 'batchplan-plan';
// 2: resources hold each runner's settings under `runners` (was sbatchArgs, qsubArgs, bsubArgs).
export const PLAN_FORMAT_VERSION = 2;
// 3: a plan that `batchplan add` grew: stages of generation g > 0 keep their tasks in tasks.<g>.jsonl
// and tasks.<g>.idx (generations.ts). Plans without added stages stay version 2.
export const PLAN_FORMAT_VERSION_ADDED = 3;
// 4: a stage sets one of the keys that came after version 3: its own partition count
// (`partitions`), `balance`, `backup` or `gpusPerSlot`. A batchplan that reads only 2 and 3 must
// refuse such a plan as too new: its schema check would call the key damage, and a reader that
// ignored it would split the stage by the script's N (journals of other slices than the plan's),
// run static partitions beside balanced ones, or hand every slot all the GPUs. Plans whose stages
// set none keep version 2 or 3, which older readers still run.
export const PLAN_FORMAT_VERSION_PARTITIONS = 4;
// 5: a stage sets `skipFailures` (the spec's skip_failures). A batchplan that reads only 2 to 4
// must refuse such a plan as too new: one that ignored the key would run the failed tasks again,
// and submit them, against what the plan says.
export const PLAN_FORMAT_VERSION_SKIP_FAILURES = 5;
export const PLAN_FORMAT_VERSIONS: readonly number[] = [
  PLAN_FORMAT_VERSION,
  PLAN_FORMAT_VERSION_ADDED,
  PLAN_FORMAT_VERSION_PARTITIONS,
  PLAN_FORMAT_VERSION_SKIP_FAILURES,
];

/** The lowest version that holds what the plan uses, so that older readers refuse only what they cannot run. */
export function planFormatVersion(file: {
  stages: readonly {
    partitions?: number;
    balance?: boolean;
    backup?: number;
    gpusPerSlot?: object;
    skipFailures?: true;
  }[];
  /** Defaults too: a stage's skip_failures: false leaves it there alone. */
  defaults?: { skipFailures?: true };
  generations?: readonly unknown[];
}):
  | typeof PLAN_FORMAT_VERSION
  | typeof PLAN_FORMAT_VERSION_ADDED
  | typeof PLAN_FORMAT_VERSION_PARTITIONS
  | typeof PLAN_FORMAT_VERSION_SKIP_FAILURES {
  if (file.defaults?.skipFailures || file.stages.some((s) => s.skipFailures))
    return PLAN_FORMAT_VERSION_SKIP_FAILURES;
  const newer = (s: (typeof file.stages)[number]) =>
    s.partitions !== undefined ||
    s.balance !== undefined ||
    s.backup !== undefined ||
    s.gpusPerSlot !== undefined;
  if (file.stages.some(newer)) return PLAN_FORMAT_VERSION_PARTITIONS;
  return file.generations?.length ? PLAN_FORMAT_VERSION_ADDED : PLAN_FORMAT_VERSION;
}

export const PLAN_FILE = 'plan.json';
/** One JSON task record per line, all stages back to back in stage order. */
export const TASKS_FILE = 'tasks.jsonl';
/** (totalTasks + 1) little-endian float64 byte offsets into tasks.jsonl: task k is [off[k], off[k+1]). */
export const INDEX_FILE = 'tasks.idx';
export const INDEX_ENTRY_BYTES = 8;
