// Reconnect with backoff, shared by both SSH transports: a connection that was up and dropped is
// opened again (said on stderr); an operation that may not run twice is not repeated, and says so.
import { BatchplanError } from '../errors.js';

/** Thrown by an operation when the connection under it went away. */
export class ConnectionLost extends Error {}

const DEFAULT_BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];

export abstract class Reconnecting {
  abstract readonly where: string;
  protected closed = false;
  protected abstract connect(): Promise<void>;
  protected abstract isUp(): boolean;
  /** Forget the connection (it dropped) so that the next use reconnects. */
  protected abstract markDown(): void;

  constructor(
    private readonly note?: (message: string) => void,
    private readonly backoffMs = backoffFromEnv(),
  ) {}

  protected say(message: string): void {
    (this.note ?? ((m: string) => process.stderr.write(`batchplan: ${m}\n`)))(message);
  }

  /** The reconnect under way: operations that find the connection down at the same time share it
   *  (each opening its own would leave all but one open, and the process would never exit). */
  private reconnecting: Promise<void> | undefined;
  /** Counts reconnects: an operation that failed on an older connection does not end the new one. */
  private generation = 0;

  private async ensureUp(): Promise<void> {
    if (this.closed) throw new BatchplanError('E_INTERNAL', `transport to ${this.where} used after close`);
    if (this.isUp()) return;
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  /** Ends the backoff sleep under way (on close). */
  private wake: (() => void) | undefined;

  /** For close(): no reconnect goes on after it (a sleeping one ends now). */
  protected stopReconnecting(): void {
    this.closed = true;
    this.wake?.();
  }

  private async reconnect(): Promise<void> {
    const gaveUp = () =>
      new BatchplanError('E_SSH_CONNECT', `the connection to ${this.where} was closed while reconnecting`);
    let last: unknown;
    for (const [k, ms] of this.backoffMs.entries()) {
      this.say(
        `connection to ${this.where} lost; reconnecting in ${ms / 1000}s (attempt ${k + 1} of ${this.backoffMs.length})`,
      );
      await new Promise<void>((r) => {
        const timer = setTimeout(r, ms);
        this.wake = () => (clearTimeout(timer), r());
      });
      this.wake = undefined;
      if (this.closed) throw gaveUp();
      try {
        await this.connect();
        if (this.closed) {
          this.markDown(); // closed while connecting: leave nothing open
          throw gaveUp();
        }
        this.generation++;
        this.say(`reconnected to ${this.where}`);
        return;
      } catch (err) {
        last = err;
        // Closed meanwhile, or a host key or authentication refusal (it will not change by waiting).
        if (this.closed || (err instanceof BatchplanError && err.code !== 'E_SSH_CONNECT')) throw err;
      }
    }
    throw new BatchplanError(
      'E_SSH_CONNECT',
      `lost the connection to ${this.where} and could not reconnect after ${this.backoffMs.length} attempts: ${(last as Error)?.message}`,
      'Nothing is lost: run the same command again when the host is back.',
    );
  }

  /** Run `op` on the live connection; after a drop, again on a new one when `idempotent`. */
  protected async withRetry<T>(idempotent: boolean, what: string, op: () => Promise<T>): Promise<T> {
    for (;;) {
      await this.ensureUp();
      const on = this.generation;
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof ConnectionLost)) throw err;
        // Marked down once: not again by an operation that learns of the same loss while the
        // reconnect is under way (it would forget the connection being opened).
        if (on === this.generation && !this.reconnecting) this.markDown();
        if (!idempotent)
          throw new BatchplanError(
            'E_SSH_CONNECT',
            `the connection to ${this.where} dropped while running ${what}`,
            'It may or may not have completed there: check (e.g. batchplan status --remote …) before running it again.',
          );
      }
    }
  }
}

/** BATCHPLAN_SSH_BACKOFF: comma-separated seconds between reconnect attempts (default 1,2,4,8,16,30). */
function backoffFromEnv(): number[] {
  const v = process.env.BATCHPLAN_SSH_BACKOFF;
  if (!v) return DEFAULT_BACKOFF_MS;
  const ms = v.split(',').map((s) => Number(s) * 1000);
  return ms.every((x) => Number.isFinite(x) && x >= 0) && ms.length ? ms : DEFAULT_BACKOFF_MS;
}
