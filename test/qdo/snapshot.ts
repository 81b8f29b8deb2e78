// Every file of a plan directory (status included) with its bytes: what "nothing was written" compares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(plan: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(plan, { recursive: true }) as string[]) {
    try {
      out[f] = readFileSync(join(plan, f), 'latin1');
    } catch {
      out[f] = '<dir>';
    }
  }
  return out;
}
