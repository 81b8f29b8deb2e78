// Status journals: one append-only JSONL file per run-partition process (never one per task), plus a
// log file beside it holding every task's stdout and stderr back to back.
//
//   <plan>/status/stage-<k>/<start>-<end>.<host>.<pid>.<t36>.jsonl   (journal)
//   <plan>/status/stage-<k>/<start>-<end>.<host>.<pid>.<t36>.log     (task output)
//
// <start>-<end> is the stage-relative task range the process ran, so a partition reads only the
// journals that overlap its own range. Each process writes its own files: two copies of the same
// partition never interleave bytes. The journal file's mtime is the writer's heartbeat.

export const JOURNAL_FORMAT_VERSION = 1;
export const STATUS_DIR = 'status';
export const HEARTBEAT_MS = 15_000;
/** A journal not touched for this long, and not closed, belongs to a writer that is gone. */
export const STALE_MS = 4 * HEARTBEAT_MS;

/** `blocked`: not run, because a task it requires did not succeed (src/exec/prerequisites.ts). */
/** `superseded`: a backup copy of the task succeeded first, so this one was stopped (balance-backup.ts). */
export const taskEndStates = ['succeeded', 'failed', 'interrupted', 'blocked', 'superseded'] as const;
export type EndState = (typeof taskEndStates)[number];

export function stageStatusDir(planDir: string, stageIndex: number): string {
  return `${planDir}/${STATUS_DIR}/stage-${stageIndex}`;
}

export interface JournalName {
  base: string;
  start: number;
  end: number;
  host: string;
  pid: number;
  /** When the writer created it (ms since the epoch). */
  t: number;
}

export function journalBase(start: number, end: number, host: string, pid: number, t: number): string {
  return `${start}-${end}.${host.replace(/[^A-Za-z0-9_-]/g, '_')}.${pid}.${t.toString(36)}`;
}

export function parseJournalName(file: string): JournalName | undefined {
  const m = /^(\d+)-(\d+)\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-z]+)\.jsonl$/.exec(file);
  if (!m) return undefined;
  return {
    base: file.slice(0, -'.jsonl'.length),
    start: Number(m[1]),
    end: Number(m[2]),
    host: m[3]!,
    pid: Number(m[4]),
    t: parseInt(m[5]!, 36),
  };
}
