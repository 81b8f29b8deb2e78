// The journal's records as zod schemas and their types: the format's definition, which tests check
// real journals against. Readers parse records by hand for speed (a million records per status), so
// nothing on a run path loads this module at run time (its types are erased).
import { z } from 'zod';
import { taskEndStates } from './journal-format.js';

export const journalHeaderSchema = z.strictObject({
  journal: z.literal('batchplan'),
  v: z.int(),
  stage: z.string(),
  start: z.int().min(0),
  end: z.int().min(0),
  host: z.string(),
  pid: z.int(),
  t: z.number(),
});

/** A byte range [offset, length] in the journal's .log file. */
const logRange = z.tuple([z.number().min(0), z.number().min(0)]);

export const journalRecordSchema = z.discriminatedUnion('k', [
  /** An attempt started. `a` counts attempts across every run of the task. */
  z.strictObject({ k: z.literal('s'), i: z.int().min(0), a: z.int().min(1), t: z.number() }),
  /**
   * An attempt ended. `d` is its duration in ms; `to` is set when it hit its timeout; `rt` on a
   * failed attempt that its run will try again (not yet a failed task: exec/max-fails.ts). A
   * `blocked` task was not started: `a` is the attempts it had before (maybe 0), its stderr says why.
   */
  z.strictObject({
    k: z.literal('e'),
    i: z.int().min(0),
    a: z.int().min(0),
    t: z.number(),
    st: z.enum(taskEndStates),
    rc: z.int().nullable(),
    d: z.number().min(0),
    sig: z.string().optional(),
    to: z.literal(1).optional(),
    rt: z.literal(1).optional(),
    out: logRange.optional(),
    err: logRange.optional(),
  }),
  /** The writer finished cleanly: nothing in this journal is still running. */
  z.strictObject({ k: z.literal('c'), t: z.number() }),
]);

export type JournalHeader = z.infer<typeof journalHeaderSchema>;
export type JournalRecord = z.infer<typeof journalRecordSchema>;
export type StartRecord = Extract<JournalRecord, { k: 's' }>;
export type EndRecord = Extract<JournalRecord, { k: 'e' }>;
