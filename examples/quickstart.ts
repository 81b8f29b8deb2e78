// Build a spec from objects, plan it, run it here, and read what happened.
import { createPlan, defineSpec } from 'batchplan';

const spec = defineSpec({
  defaults: { retries: 1 },
  stages: [
    // Five tasks from a matrix; n = 3 fails (on both attempts).
    {
      name: 'square',
      template: 'test {{n}} -ne 3 && echo $(( {{n}} * {{n}} ))',
      matrix: { n: { range: [1, 6] } },
    },
    // Independent of `square`: runs at the same time.
    { name: 'hello', tasks: [{ cmd: 'echo hello' }] },
    // After `square`, which fails: not run.
    { name: 'sum', after: ['square'], tasks: [{ cmd: 'echo done' }] },
  ],
});

const plan = await createPlan(spec, 'squares.plan', { force: true });
const result = await plan.run({ nprocs: 2 });
for (const s of result.stages)
  console.log(
    s.stage,
    s.blockedBy ? `not run: ${s.blockedBy.join(', ')} failed` : `${s.result?.succeeded} succeeded`,
  );

const { overall } = await plan.status();
console.log(`overall: ${overall.succeeded}/${overall.total} succeeded, ${overall.failed} failed`);
for (const t of await plan.tasks({ state: 'failed' }))
  console.log(`failed: ${t.id} exit ${t.exitCode}, ${t.attempts} attempts`);
console.log(`square.1 printed ${plan.logs('square.1').stdout.trim()}`);
