// One cgroup (v2) per attempt, where this process may make them: everything a task starts stays in
// its cgroup whatever it does (setsid, a double fork, a cleared environment), so a task that timed out
// or was stopped can be emptied completely (cgroup.kill), and so can what a dead run left. Used when
// run-partition's own cgroup is writable: a delegated subtree (systemd's Delegate=, a user slice's
// service), a cgroup v2 mount as root, or a scheduler's job cgroup that lets the job write. Else
// nothing is made and leftovers.ts's search by environment is all there is.
//
// Layout: <our cgroup>/batchplan-<run>/a<task>.<attempt>. A task joins its cgroup before it execs its
// shell (native launcher: in the vfork child; Node's spawn: through one sh more), so nothing it
// starts escapes.
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ENV = 'BATCHPLAN_CGROUP'; // "0" turns per-task cgroups off
const PREFIX = 'batchplan-';

/** The cgroup v2 directory this process is in, or undefined (no cgroup v2, or not mounted here). */
export function ownCgroupDir(): string | undefined {
  let own: string | undefined;
  let mounts: string;
  try {
    own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  if (own === undefined) return undefined;
  for (const line of mounts.split('\n')) {
    // id parent major:minor root mountpoint options ... - fstype source superoptions
    const [left, right] = line.split(' - ');
    if (!right?.startsWith('cgroup2 ')) continue;
    const f = left!.split(' ');
    const root = f[3]!;
    const point = f[4]!.replace(/\\040/g, ' ');
    if (root === '/' || own === root || own.startsWith(`${root}/`))
      return join(point, root === '/' ? own : own.slice(root.length));
  }
  return undefined;
}

/** Pids in a cgroup and its children. */
function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  try {
    for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n'))
      if (line) pids.push(Number(line));
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) pids.push(...pidsIn(join(dir, e.name)));
  } catch {
    // gone
  }
  return pids;
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids)
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
}

/** Removes a cgroup tree whose processes have all gone; false while one is populated. */
function removeTree(dir: string): boolean {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) removeTree(join(dir, e.name));
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Empties a cgroup tree: SIGTERM (and SIGCONT) to each process, SIGKILL by cgroup.kill (or each pid,
 * before Linux 5.14) after `graceMs`, then removes it. Resolves with how many processes it found.
 */
export async function emptyCgroup(dir: string, graceMs: number): Promise<number> {
  const first = pidsIn(dir);
  if (first.length) {
    signalAll(first, 'SIGTERM');
    signalAll(first, 'SIGCONT');
    const deadline = Date.now() + graceMs;
    while (pidsIn(dir).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (let k = 0; k < 40 && pidsIn(dir).length; k++) {
      try {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
      } catch {
        signalAll(pidsIn(dir), 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  removeTree(dir);
  return first.length;
}

export class TaskCgroups {
  private constructor(readonly runDir: string) {}

  /** Per-task cgroups for run `run` (its journal's name), or undefined where none can be made. */
  static open(run: string, env: NodeJS.ProcessEnv = process.env): TaskCgroups | undefined {
    if (env[CGROUP_ENV] === '0' || process.platform !== 'linux') return undefined;
    const base = ownCgroupDir();
    if (!base) return undefined;
    const runDir = join(base, PREFIX + run);
    try {
      mkdirSync(runDir);
      // A process may be moved from our cgroup into a child only if both cgroup.procs files are
      // writable (ours as the common ancestor).
      accessSync(join(base, 'cgroup.procs'), constants.W_OK);
      accessSync(join(runDir, 'cgroup.procs'), constants.W_OK);
    } catch {
      removeTree(runDir);
      return undefined;
    }
    return new TaskCgroups(runDir);
  }

  /** A fresh cgroup for one attempt (undefined if it cannot be made: the task runs without one). */
  make(name: string): string | undefined {
    const dir = join(this.runDir, name);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return dir;
      return undefined;
    }
  }

  /** After an attempt: its cgroup is removed once empty (what a succeeded task left is left alone). */
  release(dir: string | undefined): void {
    if (dir) removeTree(dir);
  }

  /** At the end: removes what is empty; a populated cgroup stays (a daemon of a succeeded task). */
  close(): void {
    removeTree(this.runDir);
  }
}

/** The cgroup tree of a run of this partition (dead: stop what it left), if there is one here. */
export function runCgroupDir(run: string): string | undefined {
  const base = ownCgroupDir();
  return base && join(base, PREFIX + run);
}
