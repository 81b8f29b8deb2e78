// Everything the report shows, gathered in one pass over each stage's journals: the states (the
// same fold `status` uses), every attempt for the timeline, the final durations for the
// histograms, then the few failures' stderr tails and the scheduler's jobs.
import { readPlan, readTasks, type Plan } from '../plan/read.js';
import { StageStatus, type TaskState } from '../status/aggregate.js';
import type { EndRecord } from '../status/journal-schema.js';
import { readJournal, writerAlive, listJournals, type JournalFile } from '../status/journal-reader.js';
import type { LoadedStageStatus } from '../status/load.js';
import { summarize } from '../status/plan-status.js';
import { readResets, stageResetTimes, type ResetMarker } from '../status/resets.js';
import { endRecordsOf, readLog } from '../status/task-history.js';
import { getRunner } from '../runners/registry.js';
import { overlayScheduler, type StageWithJobs } from '../submit/overlay.js';
import { querySubmission } from '../submit/scheduler-state.js';
import { overallOf, type Overall } from '../submit/status.js';
import { submissionsOf } from '../submit/submissions.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { buildHistogram, type HistogramData } from './histogram.js';
import { Attempts, buildTimeline, OUTCOME_CODE, type TimelineData } from './timeline.js';
import { VERSION } from '../version.js';

export const MAX_FAILURE_ROWS = 100;
export const MAX_JOB_ROWS = 500;
export const MAX_STRAGGLER_ROWS = 20;
const TAIL_LINES = 5;
const TAIL_LINE_CHARS = 300;

export interface FailureRow {
  id: string;
  stage: string;
  state: TaskState;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  host: string | null;
  attempts: number;
  cmd: string;
  stderrTail: string[];
}

export interface StragglerRow {
  id: string;
  durationMs: number;
  host: string | null;
}

export interface StageReport {
  summary: StageWithJobs;
  histogram: HistogramData;
  stragglers: StragglerRow[];
}

export interface JobRow {
  jobId: string;
  stage: string;
  partition: number;
  state: string;
  schedulerState: string;
  reason?: string;
  exitCode?: number;
}

export interface JobsReport {
  runner: string;
  submittedAt: string;
  jobIds: string[];
  /** Why the scheduler's view is missing, when it is. */
  unavailable?: string;
  counts: Record<'queued' | 'running' | 'completed' | 'failed', number>;
  rows: JobRow[];
  total: number;
}

export interface ReportData {
  /** The plan as the user named it (shown on the page); `planDir` is its absolute path. */
  plan: string;
  planDir: string;
  generatedAt: string;
  version: string;
  stages: StageReport[];
  overall: Overall;
  timeline: TimelineData;
  failures: { rows: FailureRow[]; total: number };
  jobs: JobsReport | null;
}

export async function collectReport(
  planDir: string,
  opts: { transport?: Transport; now?: number } = {},
): Promise<ReportData> {
  const plan = readPlan(planDir);
  const now = opts.now ?? Date.now();
  const attempts = new Attempts();
  const resets = readResets(plan.dir);
  const loaded = plan.file.stages.map((s, k) => foldStage(plan, k, s.tasks, attempts, now, resets));
  let stages: StageWithJobs[] = summarize(plan, loaded);
  const jobs = await schedulerJobs(plan, opts.transport ?? localTransport);
  if (jobs?.state) stages = overlayScheduler(plan, loaded, stages, jobs.state);

  return {
    plan: planDir,
    planDir: plan.dir,
    generatedAt: new Date(now).toISOString(),
    version: VERSION,
    stages: stages.map((summary, k) => stageReport(plan, k, loaded[k]!, summary)),
    overall: overallOf(stages),
    timeline: buildTimeline(attempts),
    failures: failures(plan, loaded),
    jobs: jobs?.report ?? null,
  };
}

/** One read of each journal: fold states (as `status`) and collect attempts (for the timeline). */
function foldStage(
  plan: Plan,
  stageIndex: number,
  taskCount: number,
  attempts: Attempts,
  now: number,
  resets: readonly ResetMarker[],
): LoadedStageStatus {
  const status = new StageStatus(taskCount);
  status.setResets(stageResetTimes(resets, stageIndex, taskCount));
  const journals = listJournals(plan.dir, stageIndex).sort((a, b) => a.mtimeMs - b.mtimeMs);
  const first = attempts.length;
  // Attempt numbers of the collected attempts, to tell a failure that was retried from a final one.
  const taskOf: number[] = [];
  const attemptOf: number[] = [];
  let skipped = 0;
  const liveOf: boolean[] = [];
  const closedOf: boolean[] = [];
  journals.forEach((file, j) => {
    const fold = status.journal(true);
    const host = attempts.hostId(file.host);
    const open = new Map<number, { t: number; i: number; a: number }>();
    const parsed = readJournal(file, (rec) => {
      fold(rec);
      if (rec.k === 's') open.set(rec.i * 65536 + rec.a, { t: rec.t, i: rec.i, a: rec.a });
      else if (rec.k === 'e' && rec.st !== 'blocked') {
        // (A blocked task was never started: no attempt to draw.)
        open.delete(rec.i * 65536 + rec.a);
        attempts.push(
          rec.t - rec.d,
          rec.t,
          OUTCOME_CODE[rec.st === 'superseded' ? 'interrupted' : rec.st],
          host,
        );
        taskOf.push(rec.i);
        attemptOf.push(rec.a);
      }
    });
    const live = !parsed.closed && writerAlive(file, now);
    liveOf[j] = live;
    closedOf[j] = parsed.closed;
    status.setLive(j, live);
    skipped += parsed.skipped;
    // Started and never ended: running while the writer lives, lost (cut at its last heartbeat) after.
    for (const s of open.values()) {
      attempts.push(
        s.t,
        live ? now : Math.max(s.t, file.mtimeMs),
        OUTCOME_CODE[live ? 'running' : 'lost'],
        host,
      );
      taskOf.push(s.i);
      attemptOf.push(s.a);
    }
  });
  for (let k = first; k < attempts.length; k++) {
    const i = taskOf[k - first]!;
    if (attempts.outcome[k] === OUTCOME_CODE.failed && attemptOf[k - first]! < status.attemptsOf(i))
      attempts.outcome[k] = OUTCOME_CODE.retried;
  }
  return { status, journals, skipped, live: liveOf, closed: closedOf };
}

function stageReport(plan: Plan, k: number, loaded: LoadedStageStatus, summary: StageWithJobs): StageReport {
  const stage = plan.file.stages[k]!;
  const { status, journals } = loaded;
  const durations = new Float64Array(summary.succeeded + summary.failed);
  let n = 0;
  for (let i = 0; i < stage.tasks; i++) {
    const st = status.stateOf(i);
    if (st === 'succeeded' || st === 'failed') durations[n++] = status.task(i).durationMs ?? 0;
  }
  const histogram = buildHistogram(durations.subarray(0, n));
  const slow: { i: number; d: number }[] = [];
  if (histogram.threshold !== null && histogram.stragglers > 0) {
    for (let i = 0; i < stage.tasks; i++) {
      const st = status.stateOf(i);
      if (st !== 'succeeded' && st !== 'failed') continue;
      const d = status.task(i).durationMs ?? 0;
      if (d > histogram.threshold) slow.push({ i, d });
    }
    slow.sort((a, b) => b.d - a.d);
  }
  const stragglers = slow.slice(0, MAX_STRAGGLER_ROWS).map(({ i, d }) => {
    const j = status.task(i).journal;
    return { id: readTasks(plan, stage, i, i + 1)[0]!.id, durationMs: d, host: journals[j]?.host ?? null };
  });
  return { summary, histogram, stragglers };
}

function failures(plan: Plan, loaded: LoadedStageStatus[]): { rows: FailureRow[]; total: number } {
  const rows: FailureRow[] = [];
  let total = 0;
  const ends = new Map<JournalFile, Map<number, EndRecord>>();
  plan.file.stages.forEach((stage, k) => {
    const { status, journals } = loaded[k]!;
    for (let i = 0; i < stage.tasks; i++) {
      const state = status.stateOf(i);
      if (state !== 'failed' && state !== 'interrupted' && state !== 'lost') continue;
      total++;
      if (rows.length >= MAX_FAILURE_ROWS) continue;
      const t = status.task(i);
      const journal = journals[t.journal];
      let tail: string[] = [];
      if (journal && state !== 'lost') {
        if (!ends.has(journal)) ends.set(journal, endRecordsOf(journal));
        const end = ends.get(journal)!.get(i);
        tail = readLog(journal, end?.err)
          .toString('utf8')
          .trimEnd()
          .split('\n')
          .slice(-TAIL_LINES)
          .filter(Boolean)
          .map((l) => (l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}…` : l));
      }
      const rec = readTasks(plan, stage, i, i + 1)[0]!;
      rows.push({
        id: rec.id,
        stage: stage.name,
        state,
        exitCode: t.exitCode,
        signal: t.signal,
        timedOut: t.timedOut,
        host: journal?.host ?? null,
        attempts: t.attempts,
        cmd: rec.cmd.length > 200 ? `${rec.cmd.slice(0, 200)}…` : rec.cmd,
        stderrTail: tail,
      });
    }
  });
  return { rows, total };
}

async function schedulerJobs(plan: Plan, transport: Transport) {
  const latest = (await submissionsOf(transport, plan.dir)).at(-1);
  if (!latest) return null;
  const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
  const report: JobsReport = {
    runner: latest.runner,
    submittedAt: latest.submittedAt,
    jobIds: latest.jobIds,
    counts,
    rows: [],
    total: 0,
  };
  const scheduler = getRunner(latest.runner).scheduler;
  const command = scheduler?.queryArgv?.('0')[0];
  if (!scheduler || !command || !(await transport.has(command))) {
    report.unavailable = `${command ?? latest.runner} is not available here: job states unknown`;
    return { report, state: undefined };
  }
  const state = await querySubmission(transport, latest);
  for (const p of state.partitions) {
    counts[p.state]++;
    report.total++;
    report.rows.push({
      jobId: p.jobId,
      stage: p.stage === -1 ? '(all stages)' : plan.file.stages[p.stage]!.name,
      partition: p.partition,
      state: p.state,
      schedulerState: p.schedulerState,
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.exitCode !== undefined ? { exitCode: p.exitCode } : {}),
    });
  }
  // Problems first, which is what a reader looks for; then cut to the cap.
  const rank = { failed: 0, queued: 1, running: 2, completed: 3 } as Record<string, number>;
  report.rows.sort((a, b) => rank[a.state]! - rank[b.state]! || a.partition - b.partition);
  report.rows = report.rows.slice(0, MAX_JOB_ROWS);
  if (state.forgotten.length)
    report.unavailable = `the scheduler no longer knows job${state.forgotten.length > 1 ? 's' : ''} ${state.forgotten.join(', ')}`;
  return { report, state };
}
