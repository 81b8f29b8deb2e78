// The jobs of a plan that its scheduler still has queued or running, over every submission record:
// what `plan --force` must not orphan.
import { getRunner } from '../runners/registry.js';
import { activeJobIds, querySubmission } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import { localTransport, type Transport } from './transport.js';

export interface ActiveJobs {
  runner: string;
  jobIds: string[];
}

export async function activeJobsOfPlan(
  planDir: string,
  transport: Transport = localTransport,
): Promise<ActiveJobs[]> {
  const out: ActiveJobs[] = [];
  for (const sub of await submissionsOf(transport, planDir)) {
    const scheduler = getRunner(sub.runner).scheduler;
    // No scheduler here (a record copied from elsewhere): it cannot have jobs here to orphan.
    if (!scheduler || !(await Promise.all(scheduler.commands.map((c) => transport.has(c)))).every(Boolean))
      continue;
    const ids = activeJobIds(await querySubmission(transport, sub));
    if (ids.length) out.push({ runner: sub.runner, jobIds: ids });
  }
  return out;
}
