// The jobs of a plan that its scheduler still has queued or running, over every submission record:
// what `plan --force` must not orphan.
import { getRunner } from '../runners/registry.js';
import { activeJobIds, querySubmission, refuseUnanswered, type Answer } from './scheduler-state.js';
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
  // A job carried over into a later record (record.ts `only`) is asked about and named once.
  const asked = new Map<string, Answer>();
  const named = new Set<string>();
  for (const sub of await submissionsOf(transport, planDir)) {
    const scheduler = getRunner(sub.runner).scheduler;
    // No scheduler here (a record copied from elsewhere): it cannot have jobs here to orphan.
    if (!scheduler || !(await Promise.all(scheduler.commands.map((c) => transport.has(c)))).every(Boolean))
      continue;
    const state = await querySubmission(transport, sub, asked);
    refuseUnanswered([state], 'the plan was not replaced (its jobs would be orphaned)');
    const ids = activeJobIds(state).filter((id) => !named.has(id));
    for (const id of ids) named.add(id);
    if (ids.length) out.push({ runner: sub.runner, jobIds: ids });
  }
  return out;
}
