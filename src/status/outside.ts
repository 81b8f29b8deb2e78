// Tasks recorded outside the journals: a task environment's own record (Saturn's status_code files,
// written by sc batch, or by batchplan on another machine with a copy of the plan) counts in status
// and tasks where the journals know nothing better. A code 0 makes an unfinished task succeeded, as
// run-partition then skips it; another code makes a task the journals never saw failed with it.
// Running and succeeded tasks are left as the journals say, and a record older than the task's reset
// (retry, rerun --force: resets.ts) is ignored, as its journal records are; one of unknown time (at a
// URL) counts as older.
import { constants } from 'node:os';
import { TASK_HOOKS } from '../exec/task-hooks.js';
import type { TaskHook } from '../exec/task-hook.js';
import { readTaskBytes, readTasks, type Plan } from '../plan/read.js';
import type { StageStatus } from './aggregate.js';

export interface OutsideOptions {
  /** Read records that live at URLs too (one command each: status and tasks, not polling loops). */
  remote: boolean;
  hooks?: readonly TaskHook[];
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Folds what the hooks' records say into `status` (a whole stage); returns how many tasks it changed. */
export function foldOutside(
  plan: Plan,
  stageIndex: number,
  status: StageStatus,
  opts: OutsideOptions,
): number {
  const hooks = (opts.hooks ?? TASK_HOOKS).filter((h) => h.outcomes);
  const stage = plan.file.stages[stageIndex]!;
  const open: number[] = [];
  for (let i = 0; i < status.count; i++) {
    const state = status.stateOf(i);
    if (state !== 'succeeded' && state !== 'running') open.push(i);
  }
  if (hooks.length === 0 || open.length === 0) return 0;
  const lo = open[0]!;
  const hi = open.at(-1)! + 1;
  // Most plans have no such field at all: a byte search spares parsing their records.
  const bytes = readTaskBytes(plan, stage, lo, hi);
  const wanted = hooks.filter((h) => bytes.includes(`"${h.outcomes!.field}":`));
  if (wanted.length === 0) return 0;
  const records = readTasks(plan, stage, lo, hi);
  const env = { ...process.env, ...stage.env };
  const fold = status.journal(false);
  const t = Date.now();
  let changed = 0;
  for (const h of wanted) {
    const { field, read } = h.outcomes!;
    const mine = open.filter((i) => records[i - lo]![field] !== undefined);
    read(
      mine.map((i) => records[i - lo]!),
      env,
      { remote: opts.remote },
    ).forEach((found, n) => {
      const i = mine[n]!;
      if (found === undefined) return;
      const { code } = found;
      // A retry or rerun newer than the record makes the task pending whatever it says.
      const reset = status.resetTime(i);
      if (reset > 0 && !(found.t !== undefined && found.t > reset)) return;
      if (code !== 0 && status.stateOf(i) !== 'pending') return;
      const sig = code < 0 ? SIGNAL_NAMES.get(-code) : undefined;
      // Attempt 0: batchplan made none of it.
      fold({
        k: 'e',
        i: status.offset + i,
        a: 0,
        t,
        st: code === 0 ? 'succeeded' : 'failed',
        rc: code < 0 ? null : code,
        d: 0,
        ...(sig ? { sig } : {}),
      });
      changed++;
    });
  }
  return changed;
}
