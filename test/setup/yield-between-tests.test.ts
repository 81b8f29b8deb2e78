// The event loop turns between two synchronous tests (test/setup/yield-between-tests.ts), so that
// vitest's RPC replies are read however long a file of spawnSync tests runs.
import { expect, it } from 'vitest';

let turned = false;

it('schedules a macrotask and returns synchronously', () => {
  setImmediate(() => (turned = true));
});

it('sees that macrotask run before it starts', () => {
  expect(turned).toBe(true);
});
