// What the scheduler end-to-end tests (slurm, sge, pbs) share: plan a spec, submit it with a runner,
// wait without blocking the test thread, and read status, tasks and the order stages ran in.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, cliAwait } from './helpers.js';

export type EngineTask = {
  id: string;
  stage: string;
  state: string;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
};

export type EngineStage = {
  name: string;
  total: number;
  succeeded: number;
  failed: number;
  interrupted: number;
  lost: number;
  running: number;
  pending: number;
  queued?: number;
  jobs?: {
    completed: number;
    failed: number;
    queued: number;
    running: number;
    problems: { state: string; reason?: string; exitCode?: number }[];
  };
};

export interface Submitted {
  jobIds: string[];
  scripts: string;
  record: string;
}

/** Commands for `runner`, run in `dir` with `env` over the process environment. */
export function engineHarness(runner: string, dir: string, env: NodeJS.ProcessEnv = {}) {
  const run = (args: string[], cwd = dir) => cli(args, { env, cwd });
  const submitFrom = (cwd: string, plan: string, n: number, ...flags: string[]): Submitted => {
    const r = run(['submit', plan, String(n), '--runner', runner, '--json', ...flags], cwd);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  return {
    run,
    makePlan(name: string, yaml: string): string {
      const spec = join(dir, `${name}.yaml`);
      writeFileSync(spec, yaml);
      const plan = join(dir, `${name}.plan`);
      const r = run(['plan', spec, '-o', plan]);
      expect(r.code, r.stderr).toBe(0);
      return plan;
    },
    tasks: (plan: string, ...args: string[]): EngineTask[] =>
      JSON.parse(run(['tasks', plan, '--json', ...args]).stdout),
    status: (plan: string): { stages: EngineStage[]; overall: { done: boolean } } =>
      JSON.parse(run(['status', plan, '--json']).stdout),
    submitFrom,
    /**
     * The user's other way in: generate-script into `out`, run its submit.sh, and return the files
     * written and the one submission record it left.
     */
    runDriver(plan: string, n: number, out: string, ...flags: string[]) {
      const g = run(['generate-script', plan, String(n), '--runner', runner, ...flags, '-o', out]);
      expect(g.code, g.stderr).toBe(0);
      // From the scratch directory: a scheduler's wrapper may write its files where it is run.
      const r = spawnSync('bash', [join(out, 'submit.sh')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(r.status, r.stderr).toBe(0);
      const records = readdirSync(join(plan, 'submissions'));
      expect(records).toHaveLength(1);
      const record = JSON.parse(readFileSync(join(plan, 'submissions', records[0]!), 'utf8')) as {
        jobIds: string[];
      };
      return { files: readdirSync(out).sort(), record };
    },
    submit: (plan: string, n: number, ...flags: string[]) => submitFrom(dir, plan, n, ...flags),
    /** `batchplan wait`, awaited: a long spawnSync would block the test thread (and vitest's RPC). */
    waitFor: (plan: string) =>
      cliAwait(['wait', plan, '--interval', '1', '--timeout', '300', '--json'], { env, cwd: dir }),
  };
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** The earliest or latest start or end (ms) of a stage's tasks: `edge(all, 'b', 'startedAt', Math.min)`. */
export function edge(
  all: EngineTask[],
  stage: string,
  key: 'startedAt' | 'endedAt',
  pick: (a: number, b: number) => number,
): number {
  return all
    .filter((t) => t.stage === stage)
    .map((t) => Date.parse(t[key]!))
    .reduce((a, b) => pick(a, b));
}
