// Cancel every queued or running job a plan submitted, through a Transport: over every submission
// record, each job once (a record also lists the live jobs of earlier ones), in submission order
// per scheduler so that one cancelling dependants first (Grid Engine) gets the newest first.
import { BatchplanError } from '../errors.js';
import { getRunner } from '../runners/registry.js';
import { cancelArgv } from '../runners/submit-steps.js';
import {
  activeJobIds,
  querySubmission,
  refuseUnanswered,
  type Answer,
  type SubmissionState,
} from './scheduler-state.js';
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
  const asked = new Map<string, Answer>();
  const states: SubmissionState[] = [];
  for (const sub of submissions) states.push(await querySubmission(transport, sub, asked));
  refuseUnanswered(states, 'nothing was cancelled');
  const byRunner = new Map<string, string[]>();
  for (const state of states) {
    const ids = byRunner.get(state.submission.runner) ?? [];
    for (const id of activeJobIds(state)) if (!ids.includes(id)) ids.push(id);
    byRunner.set(state.submission.runner, ids);
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
