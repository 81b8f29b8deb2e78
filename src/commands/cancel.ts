import { readPlan } from '../plan/read.js';
import { cancelPlan } from '../submit/cancel.js';
import { note, printJson } from './output.js';

export default async function cancel(planDir: string, opts: { json?: boolean }): Promise<number> {
  const { cancelled } = await cancelPlan(readPlan(planDir).dir);
  printCancelled(cancelled, opts.json);
  return 0;
}

export function printCancelled(cancelled: string[], json?: boolean): void {
  if (json) printJson({ cancelled });
  else
    note(
      cancelled.length
        ? `cancelled job(s) ${cancelled.join(', ')}; running tasks end up interrupted`
        : 'nothing of this plan is queued or running',
    );
}
