// Urgent tasks first across a stage, not only inside their partition: the plan stores a stage's
// tasks by priority, so its urgent head (plan.json `urgent`) is the start of partition 0. A
// scheduler starts an array's elements in no promised order, so a partition without them holds its
// own first task until they have started, for at most URGENT_WAIT_MS (partition 0 may be queued
// behind a throttle, or gone): the cost is partition 0's start-up latency, once.
import type { PlanStage } from '../plan/model.js';
import type { Plan } from '../plan/read.js';
import { loadStageStatus } from '../status/load.js';
import type { ResetMarker } from '../status/resets.js';
import type { StopSignal } from './stop-signal.js';

export const URGENT_WAIT_MS = 10_000;

export async function urgentFirst(
  plan: Plan,
  stageIndex: number,
  stage: PlanStage,
  slice: { start: number },
  stop: StopSignal,
  resets: readonly ResetMarker[],
  waitMs = URGENT_WAIT_MS,
): Promise<void> {
  const u = Math.min(stage.urgent ?? 0, slice.start);
  if (u === 0) return;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { status } = loadStageStatus(plan.dir, stageIndex, stage.tasks, { start: 0, end: u }, resets);
    let started = true;
    for (let i = 0; i < u && started; i++) started = status.stateOf(i) !== 'pending';
    if (started || stop.signal || Date.now() >= deadline) return;
    await stop.sleep(100);
  }
}
