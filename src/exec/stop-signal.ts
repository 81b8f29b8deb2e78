// A stop request shared by everything running in this process: set by SIGTERM/SIGINT/SIGUSR1 (a
// scheduler's wallclock warning), SIGUSR2 (Grid Engine's -notify warning before a SIGKILL, sent to the
// job's whole process group) or by a caller, observed by the task pool and by backoff sleeps.
import { constants } from 'node:os';
import { setLongTimeout } from '../util/long-timer.js';

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGHUP'];

/** A stop signal that came while run-partition was still loading; see holdEarlyStopSignals. */
let early: { signal?: NodeJS.Signals; handler: (sig: NodeJS.Signals) => void } | undefined;

/**
 * Keep a stop signal that arrives before a StopSignal installs its handlers, and hand it over then.
 * Called first thing by run-partition's process: a scheduler may signal a job the moment it starts,
 * and Node's default for SIGUSR1 is to open its inspector, not to stop, so the warning would be lost.
 */
export function holdEarlyStopSignals(): void {
  const held: NonNullable<typeof early> = { handler: (sig) => void (held.signal ??= sig) };
  for (const s of STOP_SIGNALS) process.on(s, held.handler);
  early = held;
}

export class StopSignal {
  signal: NodeJS.Signals | undefined;
  private readonly listeners = new Set<() => void>();

  trigger(sig: NodeJS.Signals): void {
    if (this.signal) return;
    this.signal = sig;
    for (const l of [...this.listeners]) l();
  }

  on(listener: () => void): void {
    this.listeners.add(listener);
  }

  off(listener: () => void): void {
    this.listeners.delete(listener);
  }

  /** Sleep `ms`, waking early when a stop is requested. */
  sleep(ms: number): Promise<void> {
    if (this.signal) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        timer.clear();
        this.off(done);
        resolve();
      };
      const timer = setLongTimeout(done, ms);
      this.on(done);
    });
  }

  /** Route the process's stop signals here. Returns a function that removes the handlers. */
  installProcessHandlers(): () => void {
    const handler = (sig: NodeJS.Signals) => this.trigger(sig);
    for (const s of STOP_SIGNALS) process.on(s, handler);
    if (early) {
      const held = early;
      early = undefined;
      STOP_SIGNALS.forEach((s) => process.off(s, held.handler));
      if (held.signal) this.trigger(held.signal);
    }
    return () => STOP_SIGNALS.forEach((s) => process.off(s, handler));
  }

  /** The conventional exit status for having been stopped by the signal: 128 + its number. */
  exitCode(): number {
    return this.signal ? 128 + (constants.signals[this.signal] ?? 0) : 0;
  }
}
