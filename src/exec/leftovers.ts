// Processes left by a run-partition that died: every task carries BATCHPLAN_RUN=<its journal's
// name> in its environment, and so does whatever it started (daemons included, unless they cleared
// their environment). Before a task of a dead run is launched again, its survivors on this host are
// found in /proc and stopped: SIGTERM to each one's process group, SIGKILL after the grace period.
// Where the dead run had per-task cgroups (cgroup.ts), everything in them is stopped first, whatever
// its environment.
import { readdirSync, readFileSync } from 'node:fs';
import { emptyCgroup, runCgroupDir } from './cgroup.js';

export const RUN_ENV = 'BATCHPLAN_RUN';

/**
 * Pids (not ours) whose environment holds BATCHPLAN_RUN=<one of runs> (and every one of `also`,
 * `KEY=value` strings). Linux only; else none.
 */
export function findLeftovers(runs: string[], also: string[] = []): number[] {
  if (runs.length === 0) return [];
  const extra = also.map((a) => Buffer.from(`\0${a}\0`));
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const needles = runs.map((r) => Buffer.from(`${RUN_ENV}=${r}\0`));
  const found: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // gone, or another user's
    }
    const padded = Buffer.concat([Buffer.of(0), env]);
    if (
      needles.some((n) => padded.indexOf(Buffer.concat([Buffer.of(0), n])) >= 0) &&
      extra.every((x) => padded.indexOf(x) >= 0)
    )
      found.push(pid);
  }
  return found;
}

function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    const group = processGroup(pid);
    for (const target of group && group > 1 && group !== process.pid ? [-group, pid] : [pid]) {
      try {
        process.kill(target, sig);
      } catch {
        /* gone */
      }
    }
  }
}

/**
 * Stop what the dead runs left; resolves with how many processes were found. Waits at most
 * `graceMs` after SIGTERM, then SIGKILLs what is left and waits for it to go.
 */
export async function stopLeftovers(runs: string[], graceMs: number, also: string[] = []): Promise<number> {
  let inCgroups = 0;
  if (also.length === 0)
    for (const run of runs) {
      const dir = runCgroupDir(run);
      if (dir) inCgroups += await emptyCgroup(dir, graceMs);
    }
  const first = findLeftovers(runs, also);
  if (first.length === 0) return inCgroups;
  signal(first, 'SIGTERM');
  signal(first, 'SIGCONT'); // a stopped process cannot act on SIGTERM
  const deadline = Date.now() + graceMs;
  let left = first;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = findLeftovers(runs, also);
  }
  for (let i = 0; left.length > 0 && i < 40; i++) {
    signal(left, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    left = findLeftovers(runs, also);
  }
  return inCgroups + first.length;
}
