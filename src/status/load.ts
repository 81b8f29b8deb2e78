// Read every journal of a stage (or those overlapping a range) and fold them into a StageStatus.
import { StageStatus } from './aggregate.js';
import { listJournals, readJournal, writerAlive, type JournalFile } from './journal-reader.js';

export interface LoadedStageStatus {
  status: StageStatus;
  journals: JournalFile[];
  /** Unparseable lines seen (torn last lines after a kill). */
  skipped: number;
}

export function loadStageStatus(
  planDir: string,
  stageIndex: number,
  taskCount: number,
  range: { start: number; end: number } = { start: 0, end: taskCount },
): LoadedStageStatus {
  const status = new StageStatus(range.end - range.start, range.start);
  const journals = listJournals(planDir, stageIndex, range).sort((a, b) => a.mtimeMs - b.mtimeMs);
  const now = Date.now();
  let skipped = 0;
  journals.forEach((file, j) => {
    const fold = status.journal(true);
    const parsed = readJournal(file, fold);
    status.setLive(j, !parsed.closed && writerAlive(file, now));
    skipped += parsed.skipped;
  });
  return { status, journals, skipped };
}
