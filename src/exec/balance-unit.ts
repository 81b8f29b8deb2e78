// A unit of work of one run-partition: a task range with its records, the status it had when the
// range was taken, the journal its attempts go to and the other journals that overlap it. A partition
// has one unit for its own slice; in balanced mode (balance.ts) each chunk it takes from another
// partition's slice, or takes over from a holder that is gone, is a unit of its own, with a journal
// named after the chunk's range: every reader (status, tasks, logs, a copy of the owner) finds it
// by its range as it finds any journal, so nothing else needs to know about balancing.
import { basename } from 'node:path';
import type { Plan } from '../plan/read.js';
import { readTasks } from '../plan/read.js';
import type { PlanStage, TaskRecord } from '../plan/model.js';
import type { StageStatus } from '../status/aggregate.js';
import { loadStageStatus, rangeResetTimes } from '../status/load.js';
import { readResets } from '../status/resets.js';
import { JournalWriter } from '../status/journal-writer.js';
import { thisHost } from '../status/journal-reader.js';
import { PeerJournals } from './peers.js';
import { RUN_ENV, stopLeftovers } from './leftovers.js';
import type { PartitionHook } from './task-hook.js';
import type { Prerequisites } from './prerequisites.js';
import { TaskCgroups } from './cgroup.js';

/** How one task's turn ended in this run. */
export type TaskOutcome = 'skipped' | 'succeeded' | 'failed' | 'interrupted' | 'blocked' | 'superseded';

export interface Unit {
  /** Stage-relative range [start, end). */
  start: number;
  end: number;
  records: readonly TaskRecord[];
  prior: StageStatus;
  journal: JournalWriter;
  peers: PeerJournals;
  hooks: PartitionHook[];
  /** The stage environment with BATCHPLAN_RUN naming this unit's journal. */
  env: NodeJS.ProcessEnv;
  /** Tasks this range requires (prerequisites.ts), when its stage has any. */
  gate?: Prerequisites;
  /** Per-task cgroups of this unit's run (cgroup.ts), where they can be made. */
  cgroups?: TaskCgroups;
  /** A backup copy (balance-backup.ts): runs although another live copy runs the task. */
  backup?: boolean;
  /** Stop a running attempt when another copy of its task succeeds (backups are on). */
  watch?: boolean;
}

export interface UnitContext {
  plan: Plan;
  stage: PlanStage;
  stageIndex: number;
  stageEnv: NodeJS.ProcessEnv;
  graceMs: number;
  openHooks(records: readonly TaskRecord[]): PartitionHook[];
  openGate(range: { start: number; end: number }): Prerequisites | undefined;
}

/** Open a unit for tasks [start, end): its status is read now, its own journal created. */
export async function openUnit(
  ctx: UnitContext,
  range: { start: number; end: number },
  extra: Pick<Unit, 'backup' | 'watch'> = {},
): Promise<Unit> {
  const resets = readResets(ctx.plan.dir);
  const loaded = loadStageStatus(ctx.plan.dir, ctx.stageIndex, ctx.stage.tasks, range, resets);
  // A holder that died on this host may have left processes: stopped before its tasks run again.
  const dead = loaded.journals.filter((f, j) => !loaded.live[j] && !loaded.closed[j] && f.host === thisHost);
  if (dead.length > 0)
    await stopLeftovers(
      dead.map((f) => f.base),
      ctx.graceMs,
    );
  const records = readTasks(ctx.plan, ctx.stage, range.start, range.end);
  const journal = new JournalWriter(ctx.plan.dir, ctx.stageIndex, ctx.stage.name, range);
  const run = basename(journal.journalPath, '.jsonl');
  const peers = new PeerJournals(
    ctx.plan.dir,
    ctx.stageIndex,
    range,
    journal.journalPath,
    loaded.journals.map((file, j) => ({ file, live: loaded.live[j]! })),
    rangeResetTimes(resets, ctx.stageIndex, ctx.stage.tasks, range),
  );
  return {
    ...range,
    records,
    prior: loaded.status,
    journal,
    peers,
    hooks: ctx.openHooks(records),
    gate: ctx.openGate(range),
    env: { ...ctx.stageEnv, [RUN_ENV]: run },
    cgroups: TaskCgroups.open(run, ctx.stageEnv),
    ...extra,
  };
}

/** Range-relative tasks of a unit still to run (not succeeded, not done by a hook), in order. */
export function unitTodo(u: Unit, from = u.start, to = u.end): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    const k = i - u.start;
    if (u.prior.isSucceeded(k) || u.peers.isSucceeded(i)) continue;
    const rec = u.records[k]!;
    if (u.hooks.some((h) => h.done?.(rec, u.prior.resetTime(k)))) continue;
    out.push(k);
  }
  return out;
}
