// Typed errors: a stable code and one exit code each. The exit-code table in docs/exit-codes.md is
// built from EXIT_CODES, and the CLI's single top-level catch maps an error to its exit code.

export const EXIT_CODES = {
  E_TASKS_FAILED: 1,
  E_USAGE: 2,
  E_SPEC_PARSE: 3,
  E_SPEC_INVALID: 4,
  E_PLAN_CYCLE: 5,
  E_PLAN_EXISTS: 6,
  E_PLAN_NOT_FOUND: 7,
  E_PLAN_VERSION: 8,
  E_PLAN_CORRUPT: 9,
  E_PARTITION_RANGE: 10,
  E_UNKNOWN_STAGE: 11,
  E_UNKNOWN_RUNNER: 12,
  E_UNKNOWN_TASK: 13,
  E_IO: 14,
  E_SUBMIT_FAILED: 15,
  E_SSH_CONNECT: 16,
  E_SSH_AUTH: 17,
  E_SSH_HOST_KEY: 18,
  E_REMOTE_BATCHPLAN: 19,
  E_NO_MATCH: 20,
  E_NOT_SUBMITTED: 21,
  E_STAGE_BLOCKED: 22,
  E_JOBS_STUCK: 23,
  E_SCHEDULER_QUERY: 24,
  E_INTERNAL: 70,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

/** What docs/exit-codes.md says each code means (kept next to the numbers so the two cannot drift). */
export const EXIT_CODE_MEANINGS: Record<ErrorCode, string> = {
  E_TASKS_FAILED: 'one or more tasks failed (run-partition, run, generated scripts)',
  E_USAGE: 'bad command line (unknown option, missing argument, N = 0, bad number) or API option',
  E_SPEC_PARSE: 'the spec file is not valid YAML/JSON (or gives one key twice), or cannot be read',
  E_SPEC_INVALID: 'the spec does not match the schema (unknown key, wrong type, duplicate name or id, …)',
  E_PLAN_CYCLE: 'the stages’ `after` dependencies form a cycle',
  E_PLAN_EXISTS: 'the plan directory already exists (use --force to replace it)',
  E_PLAN_NOT_FOUND: 'no plan directory at the given path',
  E_PLAN_VERSION: 'the plan or a journal was written by an incompatible batchplan version',
  E_PLAN_CORRUPT: 'a plan file is damaged or inconsistent',
  E_PARTITION_RANGE: 'the partition index is outside 0..N-1 for that stage',
  E_UNKNOWN_STAGE: 'no stage of that name in the plan',
  E_UNKNOWN_RUNNER: 'no runner of that name',
  E_UNKNOWN_TASK: 'no task with that id in the plan',
  E_IO: 'reading or writing a file failed',
  E_SUBMIT_FAILED: 'the scheduler refused a submission',
  E_SSH_CONNECT: 'the remote host cannot be reached, or the connection was lost and did not come back',
  E_SSH_AUTH:
    'the remote host refused every key (agent, key files), the password or one-time code, or the user',
  E_SSH_HOST_KEY: 'the remote host’s key is unknown, changed or revoked (see docs/remote.md)',
  E_REMOTE_BATCHPLAN: 'batchplan is missing on the remote host, or is another version',
  E_NO_MATCH: '`retry`/`rerun` (CLI or API) selected no task (nothing was written)',
  E_NOT_SUBMITTED: 'the plan has no recorded submission (wait, cancel): submit it first',
  E_STAGE_BLOCKED:
    'a partition of a stage was asked to run (API runPartition) before the stages it is `after` succeeded',
  E_JOBS_STUCK:
    'wait stopped: a partition is queued for a reason the scheduler says cannot clear (e.g. Slurm PartitionConfig)',
  E_SCHEDULER_QUERY:
    'the scheduler could not be asked about a job of the plan (submit, cancel, plan --force): nothing was done',
  E_INTERNAL: 'a bug in batchplan: please report it',
};

export class BatchplanError extends Error {
  readonly code: ErrorCode;
  /** Extra lines printed after the message: where, and what to do. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'BatchplanError';
    this.code = code;
    this.hint = hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Location of a problem inside a spec file: `stages[1].after[0]`, line 12. */
export interface SpecLocation {
  file: string;
  path?: string;
  line?: number;
}

export function formatLocation(loc: SpecLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.path) s += ` (${loc.path})`;
  return s;
}

export class SpecError extends BatchplanError {
  readonly issues: { location: SpecLocation; message: string }[];

  constructor(
    code: 'E_SPEC_PARSE' | 'E_SPEC_INVALID' | 'E_PLAN_CYCLE',
    issues: { location: SpecLocation; message: string }[],
  ) {
    const lines = issues.map((i) => `${formatLocation(i.location)}: ${i.message}`);
    const head =
      issues.length === 1 ? lines[0]! : `${issues.length} problems in the spec:\n  ${lines.join('\n  ')}`;
    super(code, head, 'Fix the spec and run the command again; nothing was written.');
    this.issues = issues;
  }
}

/**
 * Whether `err` is a BatchplanError (of one of `codes`, when given): narrows `err.code` to them.
 * `if (isBatchplanError(err, 'E_NO_MATCH')) …`
 */
export function isBatchplanError<C extends ErrorCode = ErrorCode>(
  err: unknown,
  ...codes: C[]
): err is BatchplanError & { readonly code: C } {
  return err instanceof BatchplanError && (codes.length === 0 || (codes as ErrorCode[]).includes(err.code));
}

export function usageError(message: string, hint?: string): BatchplanError {
  return new BatchplanError('E_USAGE', message, hint);
}
