// Block until the plan's submitted jobs have all ended (src/submit/wait.ts), showing progress.
import { readPlan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import type { PlanStatus } from '../submit/status.js';
import { planStatus } from '../submit/status.js';
import { waitForPlan } from '../submit/wait.js';
import type { Transport } from '../submit/transport.js';
import type { PartitionState, SubmissionState } from '../submit/scheduler-state.js';
import { overlayScheduler, type StageWithJobs } from '../submit/overlay.js';
import { loadPlanStatus, summarize } from '../status/plan-status.js';
import { stagesProgress } from '../progress/from-status.js';
import { LiveProgress } from '../progress/live.js';
import type { ProgressSnapshot, StageProgress } from '../progress/model.js';
import { nextCommand } from '../progress/next.js';
import { shellQuote } from '../util/shell-quote.js';
import { BatchplanError } from '../errors.js';
import { neverClears, whatToDo } from '../submit/pending-reasons.js';
import { note } from './output.js';
import { printStatus } from './status.js';

export interface WaitFlags {
  interval: string;
  timeout?: string;
  waitWhenStuck?: boolean;
  json?: boolean;
}

export default async function wait(planDir: string, opts: WaitFlags): Promise<number> {
  const plan = readPlan(planDir);
  const after = plan.file.stages.map((s) => ({ after: s.after }));
  return waitAndReport(
    plan.dir,
    opts,
    undefined,
    () => planStatus(plan),
    async (state) => {
      const loaded = loadPlanStatus(plan);
      return { stages: overlayScheduler(plan, loaded, summarize(plan, loaded), state), after };
    },
  );
}

/** The plan's stages as the live view shows them, from one scheduler query's state. */
export type LiveStatus = (
  state: SubmissionState,
) => Promise<{ stages: StageWithJobs[]; after: { after: string[] }[] }>;

/**
 * The loop and its output, shared with `wait --remote` (which gets its final status there). The
 * live view reads `liveStatus` after each query; without one (remote) it asks `finalStatus`.
 */
export async function waitAndReport(
  planDir: string,
  opts: WaitFlags,
  transport: Transport | undefined,
  finalStatus: () => Promise<PlanStatus>,
  liveStatus?: LiveStatus,
): Promise<number> {
  const intervalS = durationFlag('--interval', opts.interval);
  const timeoutS = opts.timeout === undefined ? undefined : durationFlag('--timeout', opts.timeout);
  const started = Date.now();
  const live = new LiveProgress(process.stderr, { intervalMs: Math.max(1, intervalS) * 1000 });
  let stages: StageProgress[] | undefined;
  let doneAtStart: number | undefined;
  const snapshot = (): ProgressSnapshot | undefined =>
    stages && { stages, elapsedMs: Date.now() - started, doneAtStart };
  // On a terminal the clock moves between two queries.
  const tick = setInterval(() => {
    const s = snapshot();
    if (s && live.isTTY) live.update(s);
  }, 1000);
  let result;
  try {
    result = await waitForPlan(planDir, {
      transport,
      intervalS,
      timeoutS,
      waitWhenStuck: opts.waitWhenStuck ?? false,
      async onPoll(state) {
        const now = liveStatus
          ? await liveStatus(state)
          : { stages: (await finalStatus()).stages, after: [] as { after: string[] }[] };
        stages = stagesProgress(now.stages, now.after);
        doneAtStart ??= stages.reduce((n, s) => n + s.succeeded + s.failed, 0);
        live.update(snapshot()!, true);
      },
    });
  } finally {
    clearInterval(tick);
  }
  if (result.timedOut) {
    live.finish(snapshot());
    note(`still running after ${opts.timeout}; giving up waiting (the jobs go on)`);
    process.stderr.write(`next: batchplan wait ${shellQuote(planDir)}\n`);
    return 124;
  }
  const status = await finalStatus();
  const after = liveStatus ? (await liveStatus(result.state)).after : undefined;
  const final = stagesProgress(status.stages, after ?? status.stages.map(() => ({ after: [] })));
  live.finish(stages ? { stages: final, elapsedMs: Date.now() - started, doneAtStart } : undefined);
  printStatus(status, opts.json, after);
  if (result.stuck?.length) throw stuckError(planDir, result.stuck, status);
  process.stderr.write(`${nextCommand(planDir, status.overall, 'status')}\n`);
  return status.overall.done ? 0 : 1;
}

/** The jobs stay queued: say which partitions, the scheduler's reason, what it means, what to do. */
function stuckError(planDir: string, stuck: PartitionState[], status: PlanStatus): BatchplanError {
  const groups = new Map<string, PartitionState[]>();
  for (const p of stuck) {
    const key = `${p.stage}\0${p.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const lines = [...groups.values()].map((ps) => {
    const p = ps[0]!;
    const stage = p.stage === -1 ? 'every stage' : `stage ${status.stages[p.stage]?.name ?? p.stage}`;
    const parts = ps.length === 1 ? `partition ${p.partition}` : `${ps.length} partitions`;
    return `${parts} of ${stage} (job ${p.jobId}) ${ps.length === 1 ? 'is' : 'are'} ${p.schedulerState} with reason ${p.reason}: ${neverClears(p.reason)}`;
  });
  const cancel = `batchplan cancel ${shellQuote(planDir)}`;
  // What to do, once per kind of reason (Slurm's all say the same; Grid Engine's differ).
  const fixes = [...new Set(stuck.map((p) => whatToDo(p.reason, cancel, p.jobId)!))];
  return new BatchplanError(
    'E_JOBS_STUCK',
    `${lines.join('; ')}; this does not clear by waiting`,
    `The jobs are still queued. ${fixes.join(' ')} Or wait --wait-when-stuck to keep waiting.`,
  );
}
