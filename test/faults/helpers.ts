// Shared by the fault suite: plans from specs, ledgers the tasks write, and processes by run.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, launchersToTest } from '../helpers.js';

/** Both ways a stage's partitions can run (docs/balancing.md): the fault suites run in each. */
export const MODES = [
  { mode: 'static', env: { BATCHPLAN_BALANCE: '0' } },
  { mode: 'balanced', env: { BATCHPLAN_BALANCE: '1' } },
] as const;

/** Every launcher in both modes. */
export function launcherModes() {
  return launchersToTest().flatMap((launcher) => MODES.map((m) => ({ launcher, ...m })));
}

export function makePlan(dir: string, name: string, spec: object, args: string[] = []): string {
  const specFile = join(dir, `${name}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const plan = join(dir, `${name}.plan`);
  const r = cli(['plan', specFile, '-o', plan, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return plan;
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export async function waitFor(predicate: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Pids of live processes whose environment holds BATCHPLAN_RUN=<a journal of plan>. */
export function processesOfPlan(plan: string): number[] {
  const runs = new Set<string>();
  const statusDir = join(plan, 'status');
  if (existsSync(statusDir))
    for (const stage of readdirSync(statusDir))
      for (const f of readdirSync(join(statusDir, stage)))
        if (f.endsWith('.jsonl')) runs.add(f.slice(0, -'.jsonl'.length));
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    const m = /(?:^|\0)BATCHPLAN_RUN=([^\0]*)/.exec(env);
    if (m && runs.has(m[1]!)) found.push(Number(name));
  }
  return found;
}
