// Cancel every queued or running job a plan submitted, through a Transport: over every submission
// record, each job once (a record also lists the live jobs of earlier ones), in submission order
// per scheduler so that one cancelling dependants first (Grid Engine) gets the newest first.
import { BatchplanError } from '../errors.js';
import { getRunner } from '../runners/registry.js';
import type { PartitionJob } from '../runners/scheduler.js';
import { cancelArgv } from '../runners/submit-steps.js';
import { activeJobIds, querySubmission } from './scheduler-state.js';
import { submissionsOf } from './submissions.js';
import { localTransport, type Transport } from './transport.js';
import { noSubmission } from './wait.js';

export async function cancelPlan(
  planDir: string,
  opts: { transport?: Transport } = {},
): Promise<{ cancelled: string[] }> {
  const transport = opts.transport ?? localTransport;
  const submissions = await submissionsOf(transport, planDir);
  if (submissions.length === 0) throw noSubmission(planDir);
  const asked = new Map<string, PartitionJob[]>();
  const byRunner = new Map<string, string[]>();
  for (const sub of submissions) {
    const ids = byRunner.get(sub.runner) ?? [];
    for (const id of activeJobIds(await querySubmission(transport, sub, asked)))
      if (!ids.includes(id)) ids.push(id);
    byRunner.set(sub.runner, ids);
  }
  const cancelled: string[] = [];
  for (const [runner, ids] of byRunner) {
    if (ids.length === 0) continue;
    const argv = cancelArgv(getRunner(runner).scheduler!, ids);
    const r = await transport.run(argv);
    if (r.exitCode !== 0)
      throw new BatchplanError(
        'E_SUBMIT_FAILED',
        `${argv[0]} failed (exit ${r.exitCode}) on ${transport.where}: ${r.stderr.trim()}`,
      );
    cancelled.push(...ids);
  }
  return { cancelled };
}
