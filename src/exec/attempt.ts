// One attempt of one task: launch it (in its own process group, its output kept bounded), enforce its
// timeout, and stop it on request. The whole group is signalled so that a task's own children do not
// outlive it.
import type { EndState } from '../status/journal-format.js';
import type { Launcher, LaunchSpec } from './launcher.js';
import { setLongTimeout, type LongTimer } from '../util/long-timer.js';

export interface AttemptSpec extends LaunchSpec {
  /** Seconds, or undefined for none. */
  timeout?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping the task. */
  grace: number;
}

export interface AttemptResult {
  state: EndState;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
  stdout: Buffer;
  stderr: Buffer;
  /** It could not start: the errno name (see RESOURCE_ERRORS for those retried). */
  startError?: string;
}

export interface RunningAttempt {
  done: Promise<AttemptResult>;
  /** Stop the task: SIGTERM to its group, SIGKILL after the grace period. It ends `interrupted`. */
  stop(): void;
}

/** How long a task killed by a signal waits for this process's own stop request; see below. */
const SIGNAL_SETTLE_MS = 200;

export function startAttempt(launcher: Launcher, spec: AttemptSpec): RunningAttempt {
  const t0 = performance.now();
  let timedOut = false;
  let stopped = false;
  let killTimer: LongTimer | undefined;
  let timeoutTimer: LongTimer | undefined;

  const task = launcher.launch(spec);
  const terminate = () => {
    task.signal('SIGTERM');
    killTimer ??= setLongTimeout(() => task.signal('SIGKILL'), spec.grace * 1000);
  };
  if (spec.timeout !== undefined)
    timeoutTimer = setLongTimeout(() => {
      timedOut = true;
      terminate();
    }, spec.timeout * 1000);

  const done = task.ended.then(async (exit): Promise<AttemptResult> => {
    const durationMs = performance.now() - t0;
    // A scheduler's cancel signals every process of the job at once: a task may die of it a moment
    // before run-partition hears its own copy. Give that stop request a moment to arrive, so the
    // task counts as interrupted (retried later), not failed.
    if (exit.signal && !stopped && !timedOut) await new Promise((r) => setTimeout(r, SIGNAL_SETTLE_MS));
    timeoutTimer?.clear();
    killTimer?.clear();
    // Exit 0 is success even when a stop came in meanwhile: the task had already done its work.
    const state: EndState =
      exit.code === 0 && !timedOut ? 'succeeded' : stopped && !timedOut ? 'interrupted' : 'failed';
    return {
      state,
      exitCode: exit.code,
      ...(exit.signal ? { signal: exit.signal } : {}),
      timedOut,
      durationMs,
      stdout: exit.stdout,
      stderr: exit.stderr,
      ...(exit.startError ? { startError: exit.startError } : {}),
    };
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
