import { readPlan } from '../plan/read.js';
import { getRunner } from '../runners/registry.js';
import { readSubmissions } from '../submit/record.js';
import { activeJobIds, querySubmission } from '../submit/scheduler-state.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { BatchplanError } from '../errors.js';
import { note, printJson } from './output.js';

export default async function cancel(planDir: string, opts: { json?: boolean }): Promise<number> {
  const transport: Transport = localTransport;
  const plan = readPlan(planDir);
  const submissions = readSubmissions(plan.dir);
  if (submissions.length === 0)
    throw new BatchplanError(
      'E_UNKNOWN_TASK',
      `plan ${plan.dir} has no recorded submission`,
      'Submit it first: batchplan submit <plan> <N> --runner slurm',
    );
  const cancelled: string[] = [];
  for (const sub of submissions) {
    const ids = activeJobIds(await querySubmission(transport, sub));
    if (ids.length === 0) continue;
    const argv = getRunner(sub.runner).scheduler!.cancelArgv(ids);
    const r = await transport.run(argv);
    if (r.exitCode !== 0)
      throw new BatchplanError(
        'E_SUBMIT_FAILED',
        `${argv[0]} failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
      );
    cancelled.push(...ids);
  }
  if (opts.json) printJson({ cancelled });
  else
    note(
      cancelled.length
        ? `cancelled job(s) ${cancelled.join(', ')}; running tasks end up interrupted`
        : 'nothing of this plan is queued or running',
    );
  return 0;
}
