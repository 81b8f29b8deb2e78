// What `retry` and `rerun --force` do, as a library (the commands print its result; the API's
// BatchPlan.retry/rerun return it): pick tasks by stage, state or id, and make them pending again for
// the next run or submit by writing one reset marker (resets.ts). Journals are never rewritten; a
// kill leaves no marker or the whole marker. Nothing is written when the selection is refused.
import { BatchplanError } from '../errors.js';
import { findTask } from '../plan/find-task.js';
import { readTasks, type Plan } from '../plan/read.js';
import type { TaskState } from './aggregate.js';
import { loadPlanStatus } from './plan-status.js';
import { toRanges, writeReset, type Ranges } from './resets.js';

/** What retry picks when no state is given (qdo's retry: everything that did not succeed). */
export const RETRY_STATES = ['failed', 'lost', 'interrupted', 'blocked'] as const;
/** rerun --force may also pick succeeded tasks. */
export const RERUN_STATES = [...RETRY_STATES, 'succeeded'] as const;

export type RetryState = (typeof RETRY_STATES)[number];
export type RerunState = (typeof RERUN_STATES)[number];

/** Which tasks: of these stages, in these states, or exactly these ids (each in a selected state). */
export interface ResetSelection<S extends string = string> {
  stage?: readonly string[];
  state?: readonly S[];
  id?: readonly string[];
}

export interface ResetResult {
  verb: 'retry' | 'rerun';
  /** The reset marker written (under <plan>/status/resets/). */
  marker: string;
  resetAt: Date;
  /** How many tasks will run again. */
  tasks: number;
  /** Per stage with tasks reset: how many, and the first ids (at most 20). */
  stages: { stage: string; tasks: number; ids: string[] }[];
}

export function resetTasks(
  plan: Plan,
  verb: 'retry' | 'rerun',
  sel: ResetSelection & { force?: boolean },
): ResetResult {
  const planDir = plan.dir;
  if (verb === 'rerun' && !sel.force)
    throw new BatchplanError(
      'E_USAGE',
      'rerun runs succeeded tasks again: add --force to say so',
      'To run only tasks that did not succeed, use `batchplan retry`.',
    );
  const allowed: readonly string[] = verb === 'retry' ? RETRY_STATES : RERUN_STATES;
  for (const state of sel.state ?? [])
    if (!allowed.includes(state))
      throw new BatchplanError(
        'E_USAGE',
        `${verb} --state takes ${allowed.join(', ')}, not '${state}'`,
        verb === 'retry' && state === 'succeeded'
          ? `To run succeeded tasks again: batchplan rerun ${planDir} --force`
          : 'Pending and running tasks need no reset.',
      );
  const states = new Set<string>(sel.state?.length ? sel.state : allowed);
  const stageNames = new Set(sel.stage ?? []);
  for (const name of stageNames)
    if (!plan.file.stages.some((s) => s.name === name))
      throw new BatchplanError(
        'E_UNKNOWN_STAGE',
        `no stage '${name}' in plan ${plan.dir}`,
        `Stages: ${plan.file.stages.map((s) => s.name).join(', ')}.`,
      );
  // As status sees them, status_code files at URLs included (a run sc batch finished can be rerun).
  const loaded = loadPlanStatus(plan, { remote: true });
  // By id: exactly those tasks, each of which must be in a selected state.
  const byId = new Map<number, Set<number>>();
  for (const id of sel.id ?? []) {
    const found = findTask(plan, id);
    const state = loaded[found.stageIndex]!.status.stateOf(found.index);
    if (!states.has(state))
      throw new BatchplanError(
        'E_NO_MATCH',
        `task '${id}' is ${state}, not ${[...states].join('|')}; nothing was reset`,
        state === 'succeeded'
          ? `To run a succeeded task again: batchplan rerun ${planDir} --force --id ${id}`
          : state === 'running'
            ? 'It is running now; wait for it or cancel its job first.'
            : 'A pending task runs on the next run or submit anyway.',
      );
    if (!byId.has(found.stageIndex)) byId.set(found.stageIndex, new Set());
    byId.get(found.stageIndex)!.add(found.index);
  }
  const stages: Record<string, Ranges> = {};
  const picked: ResetResult['stages'] = [];
  let newest = 0;
  let total = 0;
  plan.file.stages.forEach((stage, k) => {
    if (stageNames.size && !stageNames.has(stage.name)) return;
    const ids = byId.get(k);
    if (sel.id?.length && !ids) return;
    const { status } = loaded[k]!;
    const chosen: number[] = [];
    for (let i = 0; i < stage.tasks; i++) {
      if (ids ? !ids.has(i) : !states.has(status.stateOf(i) as TaskState)) continue;
      chosen.push(i);
      const t = status.task(i);
      newest = Math.max(newest, t.endedAt ?? t.startedAt ?? 0);
    }
    if (chosen.length === 0) return;
    stages[String(k)] = toRanges(chosen);
    total += chosen.length;
    const first = chosen.slice(0, 20);
    const records = readTasks(plan, stage, first[0]!, first.at(-1)! + 1);
    picked.push({
      stage: stage.name,
      tasks: chosen.length,
      ids: first.map((i) => records[i - first[0]!]!.id),
    });
  });
  if (total === 0)
    throw new BatchplanError(
      'E_NO_MATCH',
      `no task of plan ${plan.dir} is ${[...states].join('|')}${stageNames.size ? ` in stage ${[...stageNames].join(', ')}` : ''}; nothing was reset`,
      verb === 'retry'
        ? `See the states with \`batchplan status ${planDir}\`; to run succeeded tasks again use \`batchplan rerun ${planDir} --force\`.`
        : `See the states with \`batchplan status ${planDir}\`.`,
    );
  // Newer than every attempt it resets, even when a journal's clock ran a little ahead.
  const t = Math.max(Date.now(), newest + 1);
  const marker = writeReset(plan.dir, t, stages);
  return { verb, marker, resetAt: new Date(t), tasks: total, stages: picked };
}
