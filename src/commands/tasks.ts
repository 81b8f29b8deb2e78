import { findStage, readPlan, readTasks, type Plan } from '../plan/read.js';
import type { PlanStage } from '../plan/model.js';
import type { TaskState } from '../status/aggregate.js';
import type { EndRecord } from '../status/journal-schema.js';
import type { JournalFile } from '../status/journal-reader.js';
import { loadStageStatus, type LoadedStageStatus } from '../status/load.js';
import { foldOutside } from '../status/outside.js';
import { endRecordsOf, readLog } from '../status/task-history.js';
import { forTerminal } from '../util/terminal-safe.js';
import { queuedRanges } from '../submit/queued.js';
import { optionalPositiveInt } from './args.js';
import { StreamOut, TableShape } from './stream-out.js';

interface Options {
  state?: TaskState | 'queued';
  stage?: string;
  tail: string;
  limit?: string;
  json?: boolean;
}

export interface TaskRow {
  id: string;
  stage: string;
  /** `queued`: pending, in a partition whose job the scheduler still holds (as status counts it). */
  state: TaskState | 'queued';
  exitCode: number | null;
  attempts: number;
  durationMs: number | null;
  host: string | null;
  startedAt: string | null;
  endedAt: string | null;
  cmd: string;
  signal?: string;
  timedOut?: boolean;
  /** Attempts stopped because a backup copy of the task succeeded first (docs/balancing.md). */
  superseded?: number;
  stderrTail?: string[];
}

/** Rows are built this many at a time: a million-task listing is streamed, never held. */
const CHUNK = 4096;

export default async function tasks(planDir: string, opts: Options): Promise<number> {
  const plan = readPlan(planDir);
  const tail = Number(opts.tail) || 0;
  const limit = optionalPositiveInt('--limit', opts.limit) ?? Infinity;
  const stages = opts.stage
    ? [findStage(plan, opts.stage)]
    : plan.file.stages.map((stage, index) => ({ stage, index }));
  const queued = await queuedRanges(plan);
  const picks: StagePick[] = [];
  let total = 0;
  for (const { stage, index } of stages) {
    if (total >= limit) break;
    const pick = pickTasks(plan, stage, index, opts.state, limit - total, queued.get(index) ?? []);
    total += pick.picked.length;
    picks.push(pick);
  }
  const now = Date.now();
  const chunks = (text = false, withTail = tail) => rowChunks(plan, picks, withTail, now, text);
  if (opts.json) {
    // The same bytes as printJson(rows), one row at a time.
    const out = new StreamOut();
    let first = true;
    for (const rows of chunks())
      for (const r of rows) {
        await out.write(`${first ? '[\n' : ',\n'}  ${JSON.stringify(r, null, 2).replace(/\n/g, '\n  ')}`);
        first = false;
      }
    await out.write(first ? '[]\n' : '\n]\n');
    await out.flush();
    return 0;
  }
  // Commands and stderr lines are shown escaped on a terminal (see terminal-safe.ts).
  const out = new StreamOut(process.stdout, (text) => forTerminal(process.stdout, text));
  const shape = new TableShape(['id', 'stage', 'state', 'exit', 'attempts', 'duration', 'host', 'cmd']);
  // Two passes: the columns' widths need every row before the first line is printed.
  if (total > 0) for (const rows of chunks(true, 0)) for (const r of rows) shape.measure(cells(r));
  await out.write(shape.line(shape.header));
  for (const rows of total > 0 ? chunks(true) : [])
    for (const r of rows) {
      await out.write(shape.line(cells(r)));
      for (const l of r.stderrTail ?? []) await out.write(`    | ${l}\n`);
    }
  await out.flush();
  if (total === 0)
    process.stderr.write(`batchplan: no tasks${opts.state ? ` in state ${opts.state}` : ''}\n`);
  return 0;
}

function cells(r: TaskRow): (string | number)[] {
  const attempts = r.superseded ? `${r.attempts} (${r.superseded} superseded)` : r.attempts;
  return [r.id, r.stage, r.state, exitText(r), attempts, durationText(r.durationMs), r.host ?? '-', r.cmd];
}

interface StagePick {
  stage: PlanStage;
  status: LoadedStageStatus['status'];
  journals: JournalFile[];
  stateOf: (i: number) => TaskState | 'queued';
  /** Stage-relative indices of the tasks listed, ascending. */
  picked: number[];
}

function pickTasks(
  plan: Plan,
  stage: PlanStage,
  stageIndex: number,
  state: TaskState | 'queued' | undefined,
  limit: number,
  held: { start: number; end: number }[],
): StagePick {
  const { status, journals } = loadStageStatus(plan.dir, stageIndex, stage.tasks);
  foldOutside(plan, stageIndex, status, { remote: true });
  const isHeld = (i: number) => held.some((r) => i >= r.start && i < r.end);
  const stateOf = (i: number): TaskState | 'queued' => {
    const s = status.stateOf(i);
    return s === 'pending' && held.length && isHeld(i) ? 'queued' : s;
  };
  const picked: number[] = [];
  for (let i = 0; i < stage.tasks && picked.length < limit; i++)
    if (!state || stateOf(i) === state) picked.push(i);
  return { stage, status, journals, stateOf, picked };
}

/**
 * The rows, CHUNK at a time, reading task records (and, for --tail, end records) as it goes.
 * `text`: for the table, which shows no times (toISOString was a third of a million-row listing).
 */
function* rowChunks(
  plan: Plan,
  picks: StagePick[],
  tail: number,
  now: number,
  text: boolean,
): Generator<TaskRow[]> {
  for (const { stage, status, journals, stateOf, picked } of picks) {
    const ends = new Map<JournalFile, Map<number, EndRecord>>();
    const endOf = (j: JournalFile, i: number) => {
      if (!ends.has(j)) ends.set(j, endRecordsOf(j));
      return ends.get(j)!.get(i);
    };
    for (let from = 0; from < picked.length; from += CHUNK) {
      const some = picked.slice(from, from + CHUNK);
      const records = recordsFor(plan, stage, some);
      yield some.map((i, k) => {
        const t = status.task(i, now);
        const journal = t.journal >= 0 ? journals[t.journal] : undefined;
        const row: TaskRow = {
          id: records[k]!.id,
          stage: stage.name,
          state: stateOf(i),
          exitCode: t.exitCode,
          attempts: t.attempts,
          durationMs: t.durationMs,
          host: journal?.host ?? null,
          startedAt: t.startedAt === null || text ? null : new Date(t.startedAt).toISOString(),
          endedAt: t.endedAt === null || text ? null : new Date(t.endedAt).toISOString(),
          cmd: records[k]!.cmd,
        };
        if (t.signal) row.signal = t.signal;
        if (t.timedOut) row.timedOut = true;
        const superseded = status.supersededOf(i);
        if (superseded > 0) row.superseded = superseded;
        // Only --tail needs the end record itself (where its stderr sits in the log).
        const end = journal && t.endedAt !== null && tail > 0 ? endOf(journal, i) : undefined;
        if (end)
          row.stderrTail = readLog(journal!, end.err)
            .toString('utf8')
            .trimEnd()
            .split('\n')
            .slice(-tail)
            .filter(Boolean);
        return row;
      });
    }
  }
}

/** Records for sorted task indices: one read for dense picks, one per contiguous run otherwise. */
function recordsFor(plan: Plan, stage: PlanStage, picked: number[]) {
  if (picked.length === 0) return [];
  const first = picked[0]!;
  const last = picked[picked.length - 1]!;
  if (picked.length * 4 >= last - first + 1) {
    const all = readTasks(plan, stage, first, last + 1);
    return picked.map((i) => all[i - first]!);
  }
  const out = [];
  for (let k = 0; k < picked.length;) {
    let end = k;
    while (end + 1 < picked.length && picked[end + 1] === picked[end]! + 1) end++;
    for (const rec of readTasks(plan, stage, picked[k]!, picked[end]! + 1)) out.push(rec);
    k = end + 1;
  }
  return out;
}

function exitText(r: TaskRow): string {
  if (r.timedOut) return 'timeout';
  if (r.exitCode !== null) return String(r.exitCode);
  return r.signal ?? '-';
}

export function durationText(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
