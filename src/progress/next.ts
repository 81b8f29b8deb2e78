// The last line of run and wait: the command a person most likely wants next.
import { shellQuote } from '../util/shell-quote.js';

export interface Outcome {
  total: number;
  succeeded: number;
  failed: number;
}

/** `then` is the command that carries on (run: `batchplan run <plan>`, wait: `batchplan status <plan>`). */
export function nextCommand(planDir: string, o: Outcome, then: 'run' | 'status'): string {
  const plan = shellQuote(planDir);
  if (o.failed > 0) return `next: batchplan tasks ${plan} --state failed --tail 3`;
  if (o.succeeded < o.total) return `next: batchplan ${then} ${plan}`;
  return `next: batchplan report ${plan}`;
}
