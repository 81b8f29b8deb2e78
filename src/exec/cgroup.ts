// One cgroup (v2) per attempt, where this process may make them: everything a task starts stays in
// its cgroup whatever it does (setsid, a double fork, a cleared environment), so a task that timed out
// or was stopped can be emptied completely (cgroup.kill), and so can what a dead run left. Used when
// run-partition's own cgroup is writable: a delegated subtree (systemd's Delegate=, a user slice's
// service), a cgroup v2 mount as root, or a scheduler's job cgroup that lets the job write. Else
// nothing is made and leftovers.ts's search by environment is all there is.
//
// Layout: <our cgroup>/batchplan-<run>/s<slot>.<n>, one per pool slot, reused while empty. A task joins its cgroup before it execs its
// shell (native launcher: in the vfork child; Node's spawn: through one sh more), so nothing it
// starts escapes.
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { lowFdLimit } from './fd-limit.js';

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

const EVENTS = Buffer.alloc(256);

/**
 * Whether a process runs in the cgroup or below it, from its cgroup.events (true when that cannot be
 * read: not reusable). One pread of the file kept open (`fd`): cgroup files are generated afresh at
 * each read from offset 0, and opening the file for each task (open, fstat, read, close) was 6 % of
 * run-partition's main thread with short tasks. A cgroup removed meanwhile reads ENODEV. Without a
 * descriptor (none could be opened: EMFILE) the file is read by its path, as before.
 */
function populated(dir: string, fd: number): boolean {
  try {
    if (fd < 0) return !/^populated 0$/m.test(readFileSync(join(dir, 'cgroup.events'), 'latin1'));
    const n = readSync(fd, EVENTS, 0, EVENTS.length, 0);
    return !/^populated 0$/m.test(EVENTS.toString('latin1', 0, n));
  } catch {
    return true;
  }
}

export class TaskCgroups {
  /** Each slot's cgroup and its cgroup.events, kept open (-1: none could be opened). */
  private readonly slots = new Map<number, { dir: string; events: number }>();
  private made = 0;

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

  /**
   * The cgroup for a slot's next attempt: the slot's own, reused while nothing runs in it (making
   * and removing one per attempt cost more than the rest of the hardening together: cgroup rmdir is
   * slow), a fresh one when what the last attempt left (a succeeded task's daemon) still runs.
   * Undefined if none can be made: the task then runs without one.
   */
  acquire(slot: number): string | undefined {
    const had = this.slots.get(slot);
    if (had && !populated(had.dir, had.events)) return had.dir;
    if (had) {
      closeEvents(had.events);
      this.slots.delete(slot);
    }
    const fresh = join(this.runDir, `s${slot}.${this.made++}`);
    try {
      mkdirSync(fresh);
    } catch {
      return undefined;
    }
    // At most an eighth of a low limit is kept open: with ulimit -n 64 and 40 slots, one per slot
    // left the launches none (populated() reads the others by their path).
    let events = -1;
    if (this.kept() < (lowFdLimit() ?? Infinity) / 8)
      try {
        events = openSync(join(fresh, 'cgroup.events'), 'r');
      } catch {
        // out of descriptors: read by its path
      }
    this.slots.set(slot, { dir: fresh, events });
    return fresh;
  }

  private kept(): number {
    let n = 0;
    for (const { events } of this.slots.values()) if (events >= 0) n++;
    return n;
  }

  /** At the end: removes what is empty; a populated cgroup stays (a daemon of a succeeded task). */
  close(): void {
    for (const { events } of this.slots.values()) closeEvents(events);
    this.slots.clear();
    removeTree(this.runDir);
  }
}

/** The cgroup tree of a run of this partition (dead: stop what it left), if there is one here. */
export function runCgroupDir(run: string): string | undefined {
  const base = ownCgroupDir();
  return base && join(base, PREFIX + run);
}

function closeEvents(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
