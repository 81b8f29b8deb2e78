// setTimeout for any delay: Node keeps delays in a signed 32-bit count of milliseconds, and one of
// 2^31 ms (24.9 days) or more fires after 1 ms instead (a `timeout: 30d` killed every task at once).
// Longer delays are armed in steps.
const MAX_STEP_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
  /** Let the process exit while only this timer is pending (like Timeout#unref). */
  unref(): LongTimer;
}

export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  let unref = false;
  const arm = (left: number) => {
    timer = setTimeout(
      () => {
        const rest = due - Date.now();
        if (left > MAX_STEP_MS && rest > 0) arm(rest);
        else fn();
      },
      Math.min(Math.max(left, 0), MAX_STEP_MS),
    );
    if (unref) timer.unref();
  };
  arm(ms);
  const handle: LongTimer = {
    clear: () => clearTimeout(timer),
    unref: () => {
      unref = true;
      timer.unref();
      return handle;
    },
  };
  return handle;
}

/** Sleep `ms`, however long. */
export function sleepLong(ms: number): Promise<void> {
  return new Promise((resolve) => setLongTimeout(resolve, ms));
}
