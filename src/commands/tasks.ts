import { findStage, readPlan, readTasks, type Plan } from '../plan/read.js';
import type { PlanStage } from '../plan/model.js';
import type { TaskState } from '../status/aggregate.js';
import type { EndRecord } from '../status/journal-schema.js';
import type { JournalFile } from '../status/journal-reader.js';
import { loadStageStatus } from '../status/load.js';
import { foldOutside } from '../status/outside.js';
import { endRecordsOf, readLog } from '../status/task-history.js';
import { forTerminal } from '../util/terminal-safe.js';
import { queuedRanges } from '../submit/queued.js';
import { optionalPositiveInt } from './args.js';
import { printJson, table } from './output.js';

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
  stderrTail?: string[];
}

export default async function tasks(planDir: string, opts: Options): Promise<number> {
  const plan = readPlan(planDir);
  const tail = Number(opts.tail) || 0;
  const limit = optionalPositiveInt('--limit', opts.limit) ?? Infinity;
  const stages = opts.stage
    ? [findStage(plan, opts.stage)]
    : plan.file.stages.map((stage, index) => ({ stage, index }));
  const queued = await queuedRanges(plan);
  const rows: TaskRow[] = [];
  for (const { stage, index } of stages) {
    if (rows.length >= limit) break;
    const held = queued.get(index) ?? [];
    rows.push(...stageRows(plan, stage, index, opts.state, limit - rows.length, tail, held));
  }
  if (opts.json) {
    printJson(rows);
    return 0;
  }
  const body = table(
    ['id', 'stage', 'state', 'exit', 'attempts', 'duration', 'host', 'cmd'],
    rows.map((r) => [
      r.id,
      r.stage,
      r.state,
      exitText(r),
      r.attempts,
      durationText(r.durationMs),
      r.host ?? '-',
      r.cmd,
    ]),
  );
  // Commands and stderr lines are shown escaped on a terminal (see terminal-safe.ts).
  const show = (text: string) => process.stdout.write(forTerminal(process.stdout, text));
  if (tail === 0) show(body);
  else {
    const lines = body.split('\n');
    show(lines[0] + '\n');
    rows.forEach((r, k) => {
      show(lines[k + 1] + '\n');
      for (const l of r.stderrTail ?? []) show(`    | ${l}\n`);
    });
  }
  if (rows.length === 0)
    process.stderr.write(`batchplan: no tasks${opts.state ? ` in state ${opts.state}` : ''}\n`);
  return 0;
}

function stageRows(
  plan: Plan,
  stage: PlanStage,
  stageIndex: number,
  state: TaskState | 'queued' | undefined,
  limit: number,
  tail: number,
  held: { start: number; end: number }[],
): TaskRow[] {
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
  const records = recordsFor(plan, stage, picked);
  const ends = new Map<JournalFile, Map<number, EndRecord>>();
  const endOf = (j: JournalFile, i: number) => {
    if (!ends.has(j)) ends.set(j, endRecordsOf(j));
    return ends.get(j)!.get(i);
  };
  const now = Date.now();
  return picked.map((i, k) => {
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
      startedAt: t.startedAt === null ? null : new Date(t.startedAt).toISOString(),
      endedAt: t.endedAt === null ? null : new Date(t.endedAt).toISOString(),
      cmd: records[k]!.cmd,
    };
    if (t.signal) row.signal = t.signal;
    if (t.timedOut) row.timedOut = true;
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
    out.push(...readTasks(plan, stage, picked[k]!, picked[end]! + 1));
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
