// Mistakes the type checker cannot see are SpecErrors with a stable code and the path of each problem,
// the same as for a YAML file; a plan's own errors are BatchplanErrors with their codes.
import { BatchplanError, SpecError, createPlan, defineSpec, openPlan } from 'batchplan';

try {
  defineSpec({ stages: [{ name: 'a', nprocs: 0, tasks: [{ cmd: 'true' }] }] });
} catch (err) {
  if (!(err instanceof SpecError)) throw err;
  for (const issue of err.issues) console.log(`${err.code} at ${issue.location.path}: ${issue.message}`);
}

// `after` naming a stage that does not exist is found when the plan is compiled.
try {
  await createPlan({ stages: [{ name: 'b', after: ['nosuch'], tasks: [{ cmd: 'true' }] }] }, 'bad.plan');
} catch (err) {
  if (!(err instanceof SpecError)) throw err;
  console.log(`${err.code}: ${err.message}`);
}

// A partition of a stage whose prerequisite has not succeeded is refused.
const plan = await createPlan(
  {
    stages: [
      { name: 'first', tasks: [{ cmd: 'true' }] },
      { name: 'second', after: ['first'], tasks: [{ cmd: 'true' }] },
    ],
  },
  'order.plan',
  { force: true },
);
try {
  await plan.runPartition('second', 1, 0);
} catch (err) {
  if (!(err instanceof BatchplanError)) throw err;
  console.log(`${err.code} (exit ${err.exitCode}): ${err.message}`);
}
await plan.runPartition('first', 1, 0);
console.log(`second: ${(await plan.runPartition('second', 1, 0)).succeeded} succeeded`);
console.log(
  `stages: ${openPlan('order.plan')
    .stages.map((s) => s.name)
    .join(', ')}`,
);
