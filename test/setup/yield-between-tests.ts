// Vitest's worker talks to the main process over RPC with a 60 s timeout, and the replies are only
// read when the event loop turns. Tests that block on spawnSync run back to back on microtasks
// alone, so on a loaded machine a file of many short synchronous tests (the runner conformance
// suite: 30 s idle, 170 s at load 10) blocked the loop past the timeout and failed the run with
// "Timeout calling onTaskUpdate". One turn of the loop before each test lets the replies in.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
