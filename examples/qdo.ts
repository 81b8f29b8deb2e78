// Working the way qdo does (q.add, q.status(), q.tasks(state=…), q.retry()): a plan grows by
// stages, is read by state, and what failed is fixed and retried.
import { writeFileSync } from 'node:fs';
import { createPlan, isBatchplanError } from 'batchplan';

// Three extracts; n = 1 fails until the file `fixed` exists.
const plan = await createPlan(
  {
    stages: [
      {
        name: 'extract',
        template: 'test {{n}} -ne 1 || test -e fixed',
        matrix: { n: { range: [0, 3] } },
      },
    ],
  },
  'qdo.plan',
  { force: true },
);

// q.add: a stage after the plan's own, in a new generation of the plan.
const added = await plan.add({
  stages: [{ name: 'merge', after: ['extract'], tasks: [{ cmd: 'echo merged' }] }],
});
console.log(`added ${added.stages.map((s) => s.name).join(', ')}: ${added.totalTasks} tasks in all`);

await plan.run();
const show = async () => {
  const { stages } = await plan.status();
  for (const s of stages) console.log(`  ${s.name}: ${s.succeeded}/${s.total} succeeded, ${s.failed} failed`);
};
await show();
for (const t of await plan.tasks({ state: 'failed' })) console.log(`failed: ${t.id} (exit ${t.exitCode})`);
const pending = await plan.tasks({ state: 'pending' });
console.log(`pending: ${pending.map((t) => t.id).join(', ')}`);

// q.retry: fix the cause, make what failed pending again, run what is left.
writeFileSync('fixed', '');
const reset = plan.retry({ state: ['failed'] });
console.log(`retry reset ${reset.stages.map((s) => s.ids.join(', ')).join(', ')}`);
await plan.run();
await show();

// Nothing left to retry: a typed error, nothing written.
try {
  plan.retry();
} catch (err) {
  if (!isBatchplanError(err, 'E_NO_MATCH')) throw err;
  console.log(`retry again: ${err.code} (exit ${err.exitCode})`);
}
// Run a succeeded task again: rerun says so with force.
console.log(`rerun reset ${plan.rerun({ force: true, id: ['merge.0'] }).tasks} task`);
