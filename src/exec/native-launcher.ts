// Launch a task with posix_spawn through a small N-API module (native/fast-spawn.c, compiled by
// scripts/build-native.js at install and build). Node's spawn forks all of run-partition; posix_spawn
// copies nothing, which halves the cost of a short task. Exits are learnt from SIGCHLD (and a
// 100 ms backstop poll, which also keeps the event loop alive while tasks run: a signal listener
// does not), then collected with waitpid on our own pids only, never on libuv's.
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Launcher, LaunchSpec, TaskExit, TaskProcess } from './launcher.js';
import { OutputTail, PIPE_DRAIN_MS } from './output-tail.js';
import { spawnLauncher } from './spawn-launcher.js';
import { findInPath } from './find-in-path.js';
import { loadNativeModule } from './native-module.js';

interface FastSpawn {
  /** posix_spawn on libuv's thread pool (it blocks until the child has exec'd). */
  spawn(
    file: string,
    argv: string[],
    envp: string[],
    cwd: string | null,
    callback: (error: Error | null, started?: [number, number, number]) => void,
    cgroupProcs?: string,
  ): void;
  reap(pid: number): [number | null, number] | null;
  /** What a (non-blocking) pipe holds now, and whether its writers are gone (then it is closed). */
  drain(fd: number): [Buffer, boolean];
  /** Whether spawn honours cwd (glibc 2.29+); tasks with a cwd use Node's spawn otherwise. */
  chdir: boolean;
}

/**
 * Output of a task that ends sooner is read at its exit with drain(), without setting up streams
 * (two sockets per task were a sixth of run-partition's cost with short tasks). One that runs longer
 * gets streams; until then its pipes buffer 64 KiB each, and a task that fills one waits that long.
 */
const STREAM_AFTER_MS = 50;
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const SIGNAL_NAMES = new Map(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** The native launcher, or undefined when its module is missing or does not load (native-module.ts says why). */
export function loadNativeLauncher(): Launcher | undefined {
  const loaded = loadNativeModule();
  if (!loaded.module) return undefined;
  const native = loaded.module as FastSpawn;
  const running = new Map<number, (exit: [number | null, number]) => void>();
  let poll: NodeJS.Timeout | undefined;
  const shells = new Map<string, string>();
  const reapAll = () => {
    for (const [pid, exited] of running) {
      let r: [number | null, number] | null;
      try {
        r = native.reap(pid);
      } catch {
        r = [null, 0]; // not ours to wait for any more (ECHILD): ended, how is unknown
      }
      if (r) {
        running.delete(pid);
        exited(r);
      }
    }
    if (running.size === 0) poll?.unref(); // nothing left to wait for: let the process end
  };

  const launch = (spec: LaunchSpec): TaskProcess => {
    if (spec.cwd !== undefined && !native.chdir) return spawnLauncher.launch(spec);
    const out = new OutputTail(spec.logLimit, spec.onStdout);
    const err = new OutputTail(spec.logLimit, spec.onStderr);
    const envp = Object.entries(spec.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    let pid: number | undefined;
    let gone = false;
    const queued: NodeJS.Signals[] = []; // asked for before the pid was known
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid!, sig);
      } catch {
        /* already gone */
      }
    };
    const ended = new Promise<TaskExit>((resolve) => {
      const file = findInPath(spec.shell, spec.env.PATH, shells);
      native.spawn(
        file,
        [spec.shell, '-c', spec.cmd],
        envp,
        spec.cwd ?? null,
        (error, started) => {
          if (error || !started) {
            // The shell or the directory is missing: a failed attempt, said plainly (as with spawn).
            err.push(Buffer.from(`batchplan: cannot start task: ${error?.message ?? 'no pid'}\n`));
            const errno = (error as (Error & { errno?: number }) | null)?.errno;
            const startError = (errno !== undefined && ERRNO_NAMES.get(errno)) || 'EIO';
            return resolve({ code: null, stdout: out.buffer(), stderr: err.buffer(), startError });
          }
          const [p, ...fds] = started;
          pid = p;
          let exit: [number | null, number] | undefined;
          const atEof = fds.map(() => false);
          let open = fds.length;
          let drainTimer: NodeJS.Timeout | undefined;
          let streams: Socket[] | undefined;
          const finish = () => {
            if (!exit) return;
            if (open > 0) {
              drainTimer ??= setTimeout(() => streams?.forEach((s) => s.destroy()), PIPE_DRAIN_MS);
              return;
            }
            clearTimeout(drainTimer);
            const [code, signo] = exit;
            const signal = signo ? SIGNAL_NAMES.get(signo) : undefined;
            resolve({ code, ...(signal ? { signal } : {}), stdout: out.buffer(), stderr: err.buffer() });
          };
          const stream = () => {
            if (streams) return;
            clearTimeout(streamTimer);
            streams = fds.flatMap((fd, k) => {
              if (atEof[k]) return [];
              const s = new Socket({ fd, readable: true, writable: false });
              s.on('data', (b: Buffer) => (k === 0 ? out : err).push(b));
              s.on('error', () => {}); // a read error ends the stream like EOF
              s.on('close', () => {
                open--;
                finish();
              });
              return [s];
            });
          };
          const streamTimer = setTimeout(stream, STREAM_AFTER_MS);
          running.set(pid, (r) => {
            gone = true;
            exit = r;
            if (!streams) {
              fds.forEach((fd, k) => {
                const [data, eof] = native.drain(fd);
                if (data.length > 0) (k === 0 ? out : err).push(data);
                if (eof) {
                  atEof[k] = true;
                  open--;
                }
              });
              // A child it left behind still holds a pipe: read on as a stream, for the drain time.
              if (open > 0) stream();
              else clearTimeout(streamTimer);
            }
            finish();
          });
          if (!poll) {
            process.on('SIGCHLD', reapAll);
            poll = setInterval(reapAll, 100);
          }
          poll.ref();
          for (const sig of queued) signalGroup(sig);
          reapAll(); // it may have exited before we knew its pid: its SIGCHLD came and went
        },
        spec.cgroup && join(spec.cgroup, 'cgroup.procs'),
      );
    });
    return {
      ended,
      signal(sig) {
        if (pid === undefined) queued.push(sig);
        else if (!gone) signalGroup(sig); // once reaped, the number may belong to another process
      },
    };
  };
  const close = async () => {
    // One launcher serves every partition of the process (`run` runs stages at once): while
    // another still has tasks, their exits must go on being reaped.
    if (running.size > 0) return;
    clearInterval(poll);
    poll = undefined;
    process.off('SIGCHLD', reapAll);
  };
  return { name: 'native', launch, close };
}
