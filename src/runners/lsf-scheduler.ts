// LSF: what submits a stage's array and what kills it (bsub, bkill). No LSF runs here: the words
// follow LSF's manual, and test/runners/submit-paths.test.ts runs them against a stand-in bsub.
import { arrayName } from './lsf-directives.js';
import {
  w,
  type ArraySubmission,
  type Dependency,
  type Piece,
  type SchedulerAdapter,
  type Word,
} from './scheduler.js';

/** A submission with its array's job name (the stage's, sanitized: lsf-directives.ts). */
export interface LsfSubmission extends ArraySubmission {
  jobName: string;
}

/**
 * `-w "done(<a>) && ended(<b>[*])"`: every array of the stages it follows is DONE (-ti ends it if one
 * cannot be); for a `paired` one, each element waits for the same element of that array to end,
 * DONE or EXIT (LSF's one-to-one array dependency, for arrays of identical size).
 */
export function waitOptions(after: readonly Dependency[]): Word[] {
  if (after.length === 0) return [];
  const close = (d: Dependency) => (d.paired ? '[*])' : ')');
  const condition = after.flatMap((d, k): Piece[] => [
    `${k ? `${close(after[k - 1]!)} && ` : ''}${d.paired ? 'ended(' : 'done('}`,
    { job: d.job },
  ]);
  return [w('-w'), w(...condition, close(after.at(-1)!)), w('-ti')];
}

export const lsfScheduler: SchedulerAdapter = {
  commands: ['bsub', 'bkill'],
  // `ended(<id>[*])`, per LSF's manual: "one-to-one dependency among job array elements ... The job
  // array size must be identical". Per-element conditions on one element of a submitted array
  // (bmod -w "…" "<id>[i]") are not used: the manual does not say that bmod sets one element's -w.
  pairs: true,
  // `bsub < script`: LSF reads #BSUB lines only from standard input; options given here override them.
  // The partition offset reaches the job through the submission environment (bsub passes it on).
  submit: (sub, opts) => ({
    env: [['BATCHPLAN_ARRAY_OFFSET', String(sub.offset)]],
    argv: [
      w('bsub'),
      w('-J'),
      w(arrayName((sub as LsfSubmission).jobName, sub.size, opts.maxRunning)),
      ...waitOptions(opts.after),
    ],
    stdin: sub.file,
  }),
  // "Job <1234> is submitted to queue <normal>." (or "… to default queue <normal>.").
  jobId: { pattern: '^Job <([0-9]+)> is submitted', lines: 'any' },
  cancel: { argv: ['bkill'] },
};
