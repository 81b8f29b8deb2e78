// Keep P partitions' journals being written while status reads them: one process holds P open
// JournalWriters (the project's own, from dist/) over P slices of a stage and records a start and an
// end for a task of each in turn, yielding to the event loop between rounds so that the writers'
// grouped fdatasyncs run, until it receives SIGTERM; then it closes them all.
//
//   node bench/write-journals-live.js <plan> <stage> <P>
// Prints "ready" on stdout once every journal is open and has records.
import { Buffer } from 'node:buffer';
import { setTimeout as sleep } from 'node:timers/promises';
import { JournalWriter } from '../dist/status/journal-writer.js';
import { findStage, readPlan } from '../dist/plan/read.js';
import { partitionSlice } from '../dist/plan/partition.js';

const [dir, stageName, p] = process.argv.slice(2);
const plan = readPlan(dir);
const { stage, index } = findStage(plan, stageName);
const none = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
const writers = [];
for (let k = 0; k < Number(p); k++) {
  const slice = partitionSlice(stage.tasks, Number(p), k);
  writers.push({
    w: new JournalWriter(plan.dir, index, stage.name, slice),
    next: slice.start,
    end: slice.end,
  });
}
let stop = false;
process.on('SIGTERM', () => (stop = true));
let rounds = 0;
while (!stop) {
  for (const x of writers) {
    if (x.next >= x.end) continue;
    x.w.started(x.next, 1);
    x.w.ended({ i: x.next, a: 1, st: 'succeeded', rc: 0, d: 1 }, none);
    x.next++;
  }
  if (++rounds === 1) process.stdout.write('ready\n');
  await sleep(5);
}
for (const x of writers) await x.w.close();
process.stdout.write(`rounds ${rounds}\n`);
