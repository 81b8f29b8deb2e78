// One attempt of one task: spawn it in its own process group, capture its output (bounded), enforce
// its timeout, and stop it on request. The whole group is signalled so that a task's own children
// do not outlive it.
import { spawn } from 'node:child_process';
import type { EndState } from '../status/journal-format.js';

export interface AttemptSpec {
  cmd: string;
  shell: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Seconds, or undefined for none. */
  timeout?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping the task. */
  grace: number;
  /** Bytes of stdout and of stderr kept per attempt (the tail is kept). */
  logLimit: number;
}

export interface AttemptResult {
  state: EndState;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RunningAttempt {
  done: Promise<AttemptResult>;
  /** Stop the task: SIGTERM to its group, SIGKILL after the grace period. It ends `interrupted`. */
  stop(): void;
}

/** After the process exits, how long to wait for pipes held open by its leftover children. */
const PIPE_DRAIN_MS = 2000;

export function startAttempt(spec: AttemptSpec): RunningAttempt {
  const t0 = performance.now();
  const out = new OutputTail(spec.logLimit);
  const err = new OutputTail(spec.logLimit);
  let timedOut = false;
  let stopped = false;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  const child = spawn(spec.shell, ['-c', spec.cmd], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so the whole tree can be signalled
  });
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));

  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const terminate = () => {
    signalGroup('SIGTERM');
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), spec.grace * 1000);
  };
  if (spec.timeout !== undefined)
    timeoutTimer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, spec.timeout * 1000);

  const done = new Promise<AttemptResult>((resolveDone) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      const code = exit?.code ?? null;
      const signal = exit?.signal ?? undefined;
      // Exit 0 is success even when a stop came in meanwhile: the task had already done its work.
      const state: EndState =
        code === 0 && !timedOut ? 'succeeded' : stopped && !timedOut ? 'interrupted' : 'failed';
      resolveDone({
        state,
        exitCode: code,
        ...(signal ? { signal } : {}),
        timedOut,
        durationMs: performance.now() - t0,
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
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      terminate();
    },
  };
}

/** Keeps the last `limit` bytes of a stream and counts what it dropped. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.limit) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  buffer(): Buffer {
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    if (buf.length > this.limit) {
      this.dropped += buf.length - this.limit;
      buf = buf.subarray(buf.length - this.limit);
    }
    if (this.dropped === 0) return buf;
    return Buffer.concat([
      Buffer.from(
        `[batchplan: ${this.dropped} earlier bytes of output dropped; --log-limit keeps the last ${this.limit}]\n`,
      ),
      buf,
    ]);
  }
}
