// Launch a task with Node's spawn: simple and always there, but it forks all of run-partition, which
// costs a millisecond or more per task (see fork-server.ts for the cheap way).
// Node's spawn cannot set the parent-death signal, so on Linux the task starts through util-linux's
// `setpriv --pdeathsig KILL`, which sets it and execs the shell in the same process (one exec more).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Launcher, LaunchSpec, TaskExit, TaskProcess } from './launcher.js';
import { OutputTail, PIPE_DRAIN_MS } from './output-tail.js';
import { findInPath } from './find-in-path.js';

const shells = new Map<string, string>();
let setpriv: string | undefined | null = null;

/** setpriv with --pdeathsig (util-linux 2.33+), or undefined: then a task may outlive a SIGKILL. */
function pdeathWrapper(): string | undefined {
  if (setpriv === null) {
    if (process.platform !== 'linux') setpriv = undefined;
    else {
      const found = findInPath('setpriv', process.env.PATH, shells);
      setpriv = found.includes('/') ? found : undefined;
    }
  }
  return setpriv;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return file.includes('/');
  } catch {
    return false;
  }
}

function command(spec: LaunchSpec): [string, string[]] {
  const wrapper = pdeathWrapper();
  // A shell that cannot be found is left to spawn, so that it fails as "cannot start", as before.
  const shell = wrapper ? findInPath(spec.shell, spec.env.PATH, shells) : spec.shell;
  if (!wrapper || !executable(shell)) return [spec.shell, ['-c', spec.cmd]];
  return [wrapper, ['--pdeathsig', 'KILL', '--', shell, '-c', spec.cmd]];
}

function launch(spec: LaunchSpec): TaskProcess {
  const out = new OutputTail(spec.logLimit, spec.onStdout);
  const err = new OutputTail(spec.logLimit, spec.onStderr);
  const [file, args] = command(spec);
  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so the whole tree can be signalled
  });
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));

  const ended = new Promise<TaskExit>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
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
      });
    };
    child.on('error', (e) => {
      // The shell could not be started (missing shell, missing cwd): a failed attempt, said plainly.
      err.push(Buffer.from(`batchplan: cannot start task: ${e.message}\n`));
      exit = { code: null, signal: null };
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
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
