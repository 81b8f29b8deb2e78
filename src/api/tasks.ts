// Tasks by state and a task's output, as data (the `tasks` and `logs` commands print the same).
import { BatchplanError } from '../errors.js';
import { findTask } from '../plan/find-task.js';
import { findStage, readTasks, type Plan } from '../plan/read.js';
import type { TaskState } from '../status/aggregate.js';
import { loadStageStatus } from '../status/load.js';
import { foldOutside } from '../status/outside.js';
import { readLog, taskHistory } from '../status/task-history.js';
import type { QueuedRanges } from '../submit/queued.js';

/** A task's state as status() counts it: `queued` is pending in a partition whose job the scheduler
 *  still holds. */
export type TaskInfoState = TaskState | 'queued';

export interface TaskQuery {
  state?: TaskInfoState;
  stage?: string;
  /** At most this many (default: all). */
  limit?: number;
}

export interface TaskInfo {
  id: string;
  stage: string;
  state: TaskInfoState;
  cmd: string;
  attempts: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
}

export interface TaskLog {
  id: string;
  attempt: number;
  state: string;
  exitCode: number | null;
  host: string;
  stdout: string;
  stderr: string;
}

/** `queued`: the ranges per stage whose job the scheduler holds (src/submit/queued.ts). */
export function listTasks(plan: Plan, query: TaskQuery, queued: QueuedRanges = new Map()): TaskInfo[] {
  if (query.stage !== undefined) findStage(plan, query.stage); // an unknown name is an error, with a suggestion
  const out: TaskInfo[] = [];
  const limit = query.limit ?? Infinity;
  const now = Date.now();
  for (const [index, stage] of plan.file.stages.entries()) {
    if (query.stage !== undefined && stage.name !== query.stage) continue;
    const { status } = loadStageStatus(plan.dir, index, stage.tasks);
    // As status() and `batchplan tasks` count them: runs only a Saturn status_code records.
    foldOutside(plan, index, status, { remote: true });
    const held = queued.get(index) ?? [];
    const stateOf = (i: number): TaskInfoState => {
      const s = status.stateOf(i);
      return s === 'pending' && held.some((r) => i >= r.start && i < r.end) ? 'queued' : s;
    };
    const picked: number[] = [];
    for (let i = 0; i < stage.tasks && out.length + picked.length < limit; i++)
      if (!query.state || stateOf(i) === query.state) picked.push(i);
    if (picked.length === 0) continue;
    const records = readTasks(plan, stage, picked[0]!, picked.at(-1)! + 1);
    for (const i of picked) {
      const t = status.task(i, now);
      out.push({
        id: records[i - picked[0]!]!.id,
        stage: stage.name,
        state: stateOf(i),
        cmd: records[i - picked[0]!]!.cmd,
        attempts: t.attempts,
        exitCode: t.exitCode,
        signal: t.signal,
        timedOut: t.timedOut,
        durationMs: t.durationMs,
        startedAt: t.startedAt === null ? null : new Date(t.startedAt),
        endedAt: t.endedAt === null ? null : new Date(t.endedAt),
      });
    }
  }
  return out;
}

export function readTaskLog(plan: Plan, id: string, attempt?: number): TaskLog {
  const task = findTask(plan, id);
  const finished = taskHistory(plan.dir, task.stageIndex, task.index).filter((h) => h.end);
  const pick = attempt === undefined ? finished.at(-1) : finished.find((h) => h.attempt === attempt);
  if (!pick)
    throw new BatchplanError(
      'E_UNKNOWN_TASK',
      attempt === undefined
        ? `task '${id}' has no finished attempt yet`
        : `task '${id}' has no finished attempt ${attempt} (finished: ${finished.map((h) => h.attempt).join(', ') || 'none'})`,
    );
  const end = pick.end!;
  return {
    id,
    attempt: pick.attempt,
    state: end.st,
    exitCode: end.rc ?? null,
    host: pick.journal.host,
    stdout: readLog(pick.journal, end.out).toString('utf8'),
    stderr: readLog(pick.journal, end.err).toString('utf8'),
  };
}
