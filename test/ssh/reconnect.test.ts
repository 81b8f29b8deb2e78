// Reconnect with backoff (src/remote/reconnect.ts), pure: operations that find the connection down
// at the same time open one new connection between them, not one each.
import { describe, expect, it } from 'vitest';
import { ConnectionLost, Reconnecting } from '../../src/remote/reconnect.js';

class Fake extends Reconnecting {
  readonly where = 'me@fake:22';
  connects = 0;
  downs = 0;
  up = true;
  said: string[] = [];
  constructor() {
    super(undefined, [10, 10, 10]);
    (this as unknown as { say: (m: string) => void }).say = (m) => this.said.push(m);
  }
  protected async connect() {
    this.connects++;
    await new Promise((r) => setTimeout(r, 30));
    this.up = true;
  }
  protected isUp() {
    return this.up;
  }
  protected markDown() {
    this.downs++;
    this.up = false;
  }
  run<T>(op: () => Promise<T>) {
    return this.withRetry(true, 'op', op);
  }
}

describe('Reconnecting', () => {
  it('shares one reconnect among the operations that found the connection down', async () => {
    const t = new Fake();
    t.up = false;
    const got = await Promise.all([1, 2, 3].map((n) => t.run(async () => n)));
    expect(got).toEqual([1, 2, 3]);
    expect(t.connects).toBe(1);
    expect(t.said.filter((m) => m.startsWith('reconnected'))).toHaveLength(1);
  });

  it('an operation that failed on the old connection does not end the new one', async () => {
    const t = new Fake();
    let first = true;
    // Both start on connection 0; the quick one finds it lost and reconnects; the slow one learns
    // of the loss only after the reconnect, and retries on the new connection without ending it.
    const quick = t.run(async () => {
      if (first) {
        first = false;
        throw new ConnectionLost('reset');
      }
      return 'quick';
    });
    let slowTries = 0;
    const slow = t.run(async () => {
      if (slowTries++ === 0) {
        await new Promise((r) => setTimeout(r, 80));
        throw new ConnectionLost('reset');
      }
      return 'slow';
    });
    expect(await Promise.all([quick, slow])).toEqual(['quick', 'slow']);
    expect(t.connects).toBe(1);
    expect(t.downs).toBe(1);
  });

  it('an operation that learns of the loss while the reconnect is under way does not mark it down again', async () => {
    const t = new Fake();
    let first = true;
    // The quick one fails at once and reconnects (10 ms backoff + 30 ms connect); the other fails at
    // 20 ms, inside that window, on the same old connection: the loss is known, the reconnect shared.
    const quick = t.run(async () => {
      if (first) {
        first = false;
        throw new ConnectionLost('reset');
      }
      return 'quick';
    });
    let tries = 0;
    const during = t.run(async () => {
      if (tries++ === 0) {
        await new Promise((r) => setTimeout(r, 20));
        throw new ConnectionLost('reset');
      }
      return 'during';
    });
    expect(await Promise.all([quick, during])).toEqual(['quick', 'during']);
    expect(t.connects).toBe(1);
    expect(t.downs).toBe(1);
  });
});
