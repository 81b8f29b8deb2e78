// A plan's submission records read through a Transport, so that wait and cancel work the same on
// this machine and on a remote login node (the records sit in the plan directory, wherever it is).
import { join } from 'node:path/posix';
import { parseSubmission, SUBMISSIONS_DIR, type Submission } from './record.js';
import type { Transport } from './transport.js';

/** Every submission of the plan, oldest first. */
export async function submissionsOf(transport: Transport, planDir: string): Promise<Submission[]> {
  const dir = join(planDir, SUBMISSIONS_DIR);
  const names = ((await transport.list(dir)) ?? []).filter((f) => f.endsWith('.json'));
  const out: Submission[] = [];
  for (const name of names) {
    const file = join(dir, name);
    out.push(parseSubmission(file, (await transport.readFile(file)).toString('utf8')));
  }
  return out;
}
