// Launch a task with Node's spawn: simple and always there, but it forks all of run-partition, which
// costs a millisecond or more per task (see fork-server.ts for the cheap way).
// Node's spawn cannot set the parent-death signal, so on Linux the task starts through util-linux's
// `setpriv --pdeathsig KILL`, which sets it and execs the shell in the same process (one exec more).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher, LaunchSpec, TaskExit, TaskProcess } from './launcher.js';
import { OutputTail, PIPE_DRAIN_MS } from './output-tail.js';
import { findInPath } from './find-in-path.js';
import { lowFdLimit } from './fd-limit.js';

const shells = new Map<string, string>();
let setpriv: string | undefined | null = null;

/** setpriv with --pdeathsig (util-linux 2.33+), or undefined: then a task may outlive a SIGKILL. */
function pdeathWrapper(): string | undefined {
  if (setpriv === null) {
    if (process.platform !== 'linux') setpriv = undefined;
    else {
      const found = findInPath('setpriv', process.env.PATH, shells);
      setpriv = found.includes('/') && takesPdeathsig(found) ? found : undefined;
    }
  }
  return setpriv;
}

/**
 * Whether this setpriv knows --pdeathsig: util-linux has had setpriv since 2.23 but the flag only
 * since 2.33, and with an older one (RHEL/CentOS 7 login nodes) every task would fail. One run, once.
 */
function takesPdeathsig(file: string): boolean {
  const shell = findInPath('sh', process.env.PATH, shells);
  return spawnSync(file, ['--pdeathsig', 'KILL', '--', shell, '-c', ':'], { stdio: 'ignore' }).status === 0;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return file.includes('/');
  } catch {
    return false;
  }
}

/** Joins the cgroup whose cgroup.procs is $0, then execs the task's shell: before it can fork. */
const JOIN_CGROUP = '{ echo 0 > "$0"; } 2>/dev/null; exec "$@"';

function command(spec: LaunchSpec): [string, string[]] {
  const wrapper = pdeathWrapper();
  // A shell that cannot be found is left to spawn, so that it fails as "cannot start", as before.
  const shell = findInPath(spec.shell, spec.env.PATH, shells);
  if (!executable(shell)) return [spec.shell, ['-c', spec.cmd]];
  // Node cannot act in the child before exec: with a cgroup, one sh more joins it (after setpriv,
  // so that the parent-death signal is set first).
  const task = spec.cgroup
    ? ['/bin/sh', '-c', JOIN_CGROUP, join(spec.cgroup, 'cgroup.procs'), shell, '-c', spec.cmd]
    : [shell, '-c', spec.cmd];
  if (wrapper) return [wrapper, ['--pdeathsig', 'KILL', '--', ...task]];
  return spec.cgroup ? [task[0]!, task.slice(1)] : [spec.shell, ['-c', spec.cmd]];
}

/**
 * Node's spawn leaks the pipes it made when it fails with EMFILE (and then every later spawn fails
 * too), so under a low limit, a launch that would not find its six descriptors is not tried.
 */
function outOfFds(): boolean {
  const limit = lowFdLimit();
  if (limit === undefined) return false;
  try {
    return readdirSync('/proc/self/fd').length + 8 > limit;
  } catch {
    return false;
  }
}

function launch(spec: LaunchSpec): TaskProcess {
  if (outOfFds())
    return {
      signal: () => {},
      ended: Promise.resolve({
        code: null,
        stdout: Buffer.alloc(0),
        stderr: Buffer.from('batchplan: cannot start task: too many open files (EMFILE)\n'),
        startError: 'EMFILE',
      }),
    };
  const out = new OutputTail(spec.logLimit, spec.onStdout);
  const err = new OutputTail(spec.logLimit, spec.onStderr);
  const [file, args] = command(spec);
  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so the whole tree can be signalled
  });

  // Without file descriptors (EMFILE) Node gives no streams at all, only an 'error' event.
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));

  const ended = new Promise<TaskExit>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: string | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      resolve({
        code: exit?.code ?? null,
        ...(exit?.signal ? { signal: exit.signal } : {}),
        stdout: out.buffer(),
        stderr: err.buffer(),
        ...(startError ? { startError } : {}),
      });
    };
    child.on('error', (e) => {
      // The shell could not be started (missing shell, missing cwd): a failed attempt, said plainly.
      err.push(Buffer.from(`batchplan: cannot start task: ${e.message}\n`));
      startError = (e as NodeJS.ErrnoException).code ?? 'EIO';
      // Pipes made before the failure would stay open for good: with EMFILE, that is the leak that
      // keeps every later launch failing.
      child.stdout?.destroy();
      child.stderr?.destroy();
      exit = { code: null, signal: null };
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, PIPE_DRAIN_MS);
    });
    child.on('close', () => {
      if (exit) finish();
    });
  });

  return {
    ended,
    signal(sig) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    },
  };
}

export const spawnLauncher: Launcher = { name: 'spawn', launch, close: async () => {} };
