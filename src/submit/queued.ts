// Which tasks the scheduler still holds: the stage-relative task ranges of partitions whose job is
// queued, per stage (the same rule as status's `queued` column: pending tasks of those ranges).
import type { Plan } from '../plan/read.js';
import { stageSlice } from '../plan/partition.js';
import { getRunner } from '../runners/registry.js';
import { querySubmission } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import { localTransport, type Transport } from './transport.js';

export type QueuedRanges = Map<number, { start: number; end: number }[]>;

/** Empty when the plan was never submitted or the scheduler cannot be asked here. */
export async function queuedRanges(plan: Plan, transport: Transport = localTransport): Promise<QueuedRanges> {
  const out: QueuedRanges = new Map();
  const latest = (await submissionsOf(transport, plan.dir)).at(-1);
  const scheduler = latest && getRunner(latest.runner).scheduler;
  if (!latest || !scheduler?.queryArgv || !(await transport.has(scheduler.queryArgv('0')[0]!))) return out;
  const state = await querySubmission(transport, latest);
  plan.file.stages.forEach((stage, k) => {
    for (const p of state.partitions) {
      if (p.state !== 'queued' || (p.stage !== k && p.stage !== -1)) continue;
      const range =
        p.stage === -1 ? { start: 0, end: stage.tasks } : stageSlice(stage, latest.n, p.partition);
      out.set(k, [...(out.get(k) ?? []), range]);
    }
  });
  return out;
}
