// The jobs of a plan that its scheduler still has queued or running, over every submission record:
// what `plan --force` must not orphan.
import { getRunner } from '../runners/registry.js';
import type { PartitionJob } from '../runners/scheduler.js';
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
  // A job carried over into a later record (record.ts `only`) is asked about and named once.
  const asked = new Map<string, PartitionJob[]>();
  const named = new Set<string>();
  for (const sub of await submissionsOf(transport, planDir)) {
    const scheduler = getRunner(sub.runner).scheduler;
    // No scheduler here (a record copied from elsewhere): it cannot have jobs here to orphan.
    if (!scheduler || !(await Promise.all(scheduler.commands.map((c) => transport.has(c)))).every(Boolean))
      continue;
    const ids = activeJobIds(await querySubmission(transport, sub, asked)).filter((id) => !named.has(id));
    for (const id of ids) named.add(id);
    if (ids.length) out.push({ runner: sub.runner, jobIds: ids });
  }
  return out;
}
