// The floor of Node.js's child_process on this machine: spawn T `sh -c true` tasks with 2 at once,
// with the options run-partition's attempt uses (own process group, stdout and stderr piped, a copied
// environment), and nothing else: no plan, no journal. Launch-overhead figures above this floor are
// batchplan's own; the floor itself is Node's (libuv forks the whole node process, then waits for
// the exec, on the main thread).
//
//   node bench/spawn-floor.js <T> <slots>
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const tasks = Number(process.argv[2] ?? 1000);
const slots = Number(process.argv[3] ?? 2);
const base = { ...process.env };
let next = 0;
const one = (k) =>
  new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'true'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...base, BATCHPLAN_TASK_ID: String(k) },
    });
    child.stdout.on('data', () => {});
    child.stderr.on('data', () => {});
    child.on('close', resolve);
  });
const t0 = performance.now();
await Promise.all(
  Array.from({ length: slots }, async () => {
    while (next < tasks) await one(next++);
  }),
);
console.log(JSON.stringify({ tasks, slots, ms: performance.now() - t0 }));
