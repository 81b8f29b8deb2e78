// Read every journal of a stage (or those overlapping a range) and fold them into a StageStatus.
import { StageStatus } from './aggregate.js';
import { readResets, stageResetTimes, type ResetMarker } from './resets.js';
import { listJournals, readJournal, writerAlive, type JournalFile } from './journal-reader.js';

export interface LoadedStageStatus {
  status: StageStatus;
  journals: JournalFile[];
  /** Unparseable lines seen (torn last lines after a kill). */
  skipped: number;
  /** Of those, lines in the middle of a journal (damage, not a kill): reported by `status`. */
  damaged?: number;
  /** Per journal: its writer is still at work (not closed, and alive). Set by loadStageStatus. */
  live?: boolean[];
  /** Per journal: its writer closed it (finished cleanly). Set by loadStageStatus. */
  closed?: boolean[];
}

export function loadStageStatus(
  planDir: string,
  stageIndex: number,
  taskCount: number,
  range: { start: number; end: number } = { start: 0, end: taskCount },
  resets: readonly ResetMarker[] = readResets(planDir),
): Required<LoadedStageStatus> {
  const status = new StageStatus(range.end - range.start, range.start);
  status.setResets(rangeResetTimes(resets, stageIndex, taskCount, range));
  const journals = listJournals(planDir, stageIndex, range).sort((a, b) => a.mtimeMs - b.mtimeMs);
  const now = Date.now();
  let skipped = 0;
  let damaged = 0;
  const live: boolean[] = [];
  const closed: boolean[] = [];
  journals.forEach((file, j) => {
    const fold = status.journal(true);
    const parsed = readJournal(file, fold);
    closed[j] = parsed.closed;
    live[j] = !parsed.closed && writerAlive(file, now);
    status.setLive(j, live[j]);
    skipped += parsed.skipped;
    damaged += parsed.damaged;
  });
  return { status, journals, skipped, damaged, live, closed };
}

/** Reset times for tasks [start, end) of a stage, indexed from start. */
export function rangeResetTimes(
  resets: readonly ResetMarker[],
  stageIndex: number,
  taskCount: number,
  range: { start: number; end: number },
): Float64Array | undefined {
  return stageResetTimes(resets, stageIndex, taskCount)?.subarray(range.start, range.end);
}
