// The same kind of plan on a scheduler: submit it as job arrays, wait, read the status.
import { createPlan } from 'batchplan';

const plan = await createPlan(
  {
    stages: [
      { name: 'work', template: 'echo {{i}}', matrix: { i: { range: [0, 8] } } },
      { name: 'merge', after: ['work'], tasks: [{ cmd: 'echo merged' }] },
    ],
  },
  'slurm.plan',
  { force: true },
);
// The flags of `batchplan submit` for that runner, camel-cased and typed: 4 partitions per stage,
// --time 5 --cpus-per-task 1 --max-running 2 (a flag another runner takes is a compile error).
const sub = await plan.submit({ runner: 'slurm', partitions: 4, time: '5', cpusPerTask: 1, maxRunning: 2 });
if (!('jobIds' in sub)) throw new Error('nothing was submitted');
console.log(`submitted ${sub.stages.length} stages as ${sub.jobIds.length} job arrays`);
const { timedOut } = await plan.wait({ intervalS: 1, timeoutS: 300 });
const { overall } = await plan.status();
console.log(`timed out: ${timedOut}; ${overall.succeeded}/${overall.total} succeeded`);
