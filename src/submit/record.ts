// Submission records: what a plan submitted, where, and the job ids, so that status, wait and cancel
// know which jobs belong to the plan. One JSON file per submission under <plan>/submissions/,
// written by `batchplan submit` and by the rendered submit.sh alike (one format: submissionRecord).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BatchplanError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

export const SUBMISSIONS_DIR = 'submissions';

/**
 * Version 2: a record that also lists jobs of earlier submissions still queued or running when it
 * was written (an entry with `only`), so that the latest record names every job of the plan that is
 * live; records without such an entry stay version 1 (older batchplans read them).
 */
export const SUBMISSION_VERSIONS = [1, 2] as const;

export const submissionSchema = z.strictObject({
  format: z.literal('batchplan-submission'),
  version: z.union([z.literal(1), z.literal(2)]),
  runner: z.string(),
  layout: z.enum(['arrays', 'allocation']),
  n: z.int().positive(),
  submittedAt: z.string(),
  /**
   * What each job covers: stage index (-1: every stage) and partitions [offset, offset + size); an
   * array with an index list (Slurm's `--array=0,4-6`) holds only some of them, element e being
   * partition offset + e.
   */
  arrays: z.array(
    z.strictObject({
      stage: z.int(),
      offset: z.int().min(0),
      size: z.int().positive(),
      /**
       * A job of an earlier submission, still queued or running when this one was made: only these
       * partitions (ascending) of it are this record's (its other elements had ended then, and
       * may since have been submitted again in this record).
       */
      only: z.array(z.int().min(0)).nonempty().optional(),
    }),
  ),
  /** jobIds[k] is the job of arrays[k]. */
  jobIds: z.array(z.string()),
});

export type Submission = z.infer<typeof submissionSchema> & { file: string };

export function stampNow(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export type SubmissionRecord = z.infer<typeof submissionSchema>;

/**
 * A record's fields, put together in one place: `batchplan submit` writes it with the ids it got
 * (writeSubmission), and submit.sh is rendered from it with each id and the time left for bash to
 * fill in (src/runners/submit-script.ts), so both write the same record.
 */
export function submissionRecord(
  runner: string,
  n: number,
  arrays: SubmissionRecord['arrays'],
  jobIds: string[],
  submittedAt: string,
): SubmissionRecord {
  return {
    format: 'batchplan-submission',
    version: arrays.some((a) => a.only) ? 2 : 1,
    runner,
    layout: arrays.some((a) => a.stage === -1) ? 'allocation' : 'arrays',
    n,
    submittedAt,
    arrays,
    jobIds,
  };
}

/** The record's text, as written. */
export const formatSubmission = (rec: SubmissionRecord): string => JSON.stringify(rec) + '\n';

export function writeSubmission(planDir: string, rec: SubmissionRecord): string {
  const dir = join(planDir, SUBMISSIONS_DIR);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stampNow(new Date(rec.submittedAt))}-${process.pid}.json`);
  writeFileAtomic(file, formatSubmission(rec));
  return file;
}

/** Every submission of the plan, oldest first. */
export function readSubmissions(planDir: string): Submission[] {
  const dir = join(planDir, SUBMISSIONS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = join(dir, name);
    return parseSubmission(file, readFileSync(file, 'utf8'));
  });
}

/** Check one record's text (read here, or over a Transport by src/submit/submissions.ts). */
export function parseSubmission(file: string, text: string): Submission {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BatchplanError('E_PLAN_CORRUPT', `submission record ${file} is not valid JSON`);
  }
  const head = data as { version?: unknown };
  if (!SUBMISSION_VERSIONS.includes(head?.version as 1))
    throw new BatchplanError(
      'E_PLAN_VERSION',
      `submission record ${file} has format version ${String(head?.version)}; this batchplan reads ${SUBMISSION_VERSIONS.join(' and ')}`,
      'Upgrade batchplan to read it.',
    );
  const parsed = submissionSchema.safeParse(data);
  if (!parsed.success)
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `submission record ${file} is damaged: ${parsed.error.issues[0]!.message}`,
    );
  if (parsed.data.jobIds.length !== parsed.data.arrays.length)
    throw new BatchplanError(
      'E_PLAN_CORRUPT',
      `submission record ${file} has ${parsed.data.jobIds.length} job ids for ${parsed.data.arrays.length} arrays`,
    );
  return { ...parsed.data, file };
}
