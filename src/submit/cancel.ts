// Cancel every queued or running job a plan submitted, through a Transport.
import { BatchplanError } from '../errors.js';
import { getRunner } from '../runners/registry.js';
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
  const cancelled: string[] = [];
  for (const sub of submissions) {
    const ids = activeJobIds(await querySubmission(transport, sub));
    if (ids.length === 0) continue;
    const argv = cancelArgv(getRunner(sub.runner).scheduler!, ids);
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
