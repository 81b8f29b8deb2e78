// Record a plan as if it had run: for each of N partitions of a stage, write the journal one
// run-partition process writes, with the project's own JournalWriter from dist/ (same file names,
// header, start and end records, group-committed fsyncs, close record). Every `failEvery`-th task
// (0 = none) ends failed with exit code 1, as a real `false` would; the others succeed.
// Used by the status and footprint cases because really running 1,000,000 `true` tasks would take
// longer than the whole bench may (about 1 ms of spawn per task on this machine).
//
//   node bench/record-journals.js <plan> <stage> <N> [failEvery] [first last]
// first/last: record only partitions [first, last) (several processes share a big plan's fsyncs).
import { Buffer } from 'node:buffer';
import { JournalWriter } from '../dist/status/journal-writer.js';
import { findStage, readPlan } from '../dist/plan/read.js';
import { partitionSlice } from '../dist/plan/partition.js';

const [dir, stageName, n, failEvery = '0', first = '0', last = n] = process.argv.slice(2);
const plan = readPlan(dir);
const { stage, index } = findStage(plan, stageName);
const none = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
const failed = { stdout: Buffer.alloc(0), stderr: Buffer.from('task failed\n') };
const every = Number(failEvery);
for (let p = Number(first); p < Number(last); p++) {
  const slice = partitionSlice(stage.tasks, Number(n), p);
  const journal = new JournalWriter(plan.dir, index, stage.name, slice);
  for (let i = slice.start; i < slice.end; i++) {
    journal.started(i, 1);
    const fail = every > 0 && i % every === every - 1;
    journal.ended(
      { i, a: 1, st: fail ? 'failed' : 'succeeded', rc: fail ? 1 : 0, d: 2 },
      fail ? failed : none,
    );
  }
  await journal.close(); // one at a time: 10,000 open journals would run out of descriptors
}
