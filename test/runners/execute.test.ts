// The local runners for real: the built CLI plans a spec, generate-script renders the runner's
// script, bash (and GNU parallel) run it, run-partition runs the tasks, and status/tasks read
// back what happened. Runner-specific by nature: each runner here is one this machine can run.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/util/shell-quote.js';
import { bash, BIN, cli, engineAvailable, FIXTURES, scratch } from '../helpers.js';

// Throws in CI (BATCHPLAN_REQUIRE_ENGINES=1) when GNU parallel is missing; skips locally.
const LOCAL_RUNNERS = [
  { name: 'sequential', available: true },
  { name: 'gnu-parallel', available: engineAvailable('parallel') },
] as const;

const dir = scratch('batchplan-execute-');
const SELF = `${shellQuote(process.execPath)} ${shellQuote(BIN)}`;

interface StageStatus {
  name: string;
  total: number;
  pending: number;
  running: number;
  lost: number;
  interrupted: number;
  succeeded: number;
  failed: number;
}

interface TaskRow {
  id: string;
  stage: string;
  state: string;
  exitCode: number | null;
  attempts: number;
}

function planSpec(spec: string, plan: string): void {
  const r = cli(['plan', spec, '-o', plan]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** `batchplan generate-script <plan> <n> --runner <runner> | bash`, as the README has it. */
function generateAndRun(plan: string, n: number, runner: string) {
  return bash(`set -o pipefail; ${SELF} generate-script ${shellQuote(plan)} ${n} --runner ${runner} | bash`);
}

function status(plan: string): StageStatus[] {
  const r = cli(['status', plan, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { stages: StageStatus[] }).stages;
}

function tasks(plan: string, ...args: string[]): TaskRow[] {
  const r = cli(['tasks', plan, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as TaskRow[];
}

const counts = (s: StageStatus) => {
  const { name, total, pending, running, lost, interrupted, succeeded, failed } = s;
  return { name, total, pending, running, lost, interrupted, succeeded, failed };
};
const stageCounts = (name: string, total: number, part: Partial<StageStatus>) => ({
  name,
  total,
  pending: 0,
  running: 0,
  lost: 0,
  interrupted: 0,
  succeeded: 0,
  failed: 0,
  ...part,
});

/** Lines of a file, or none when it does not exist. */
function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe.each(LOCAL_RUNNERS)('runner $name', ({ name: runner, available }) => {
  describe.skipIf(!available)('with the real batchplan', () => {
    const base = join(dir, runner);
    mkdirSync(base, { recursive: true });

    it('runs the example sweep: stops after extract with 2 failed tasks, merge left pending', () => {
      const plan = join(base, 'sweep.plan');
      planSpec(join(FIXTURES, 'examples', 'sweep.yaml'), plan);
      const r = generateAndRun(plan, 4, runner);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('stage extract has failed');
      expect(r.stderr).not.toContain('every stage');
      expect(status(plan).map(counts)).toEqual([
        stageCounts('extract', 36, { succeeded: 34, failed: 2 }),
        stageCounts('merge', 1, { pending: 1 }),
      ]);
      // Group 5 part c and group 9 part c: tasks 5·3+2 and 9·3+2, each tried twice (retries: 1).
      expect(tasks(plan, '--state', 'failed')).toMatchObject([
        { id: 'extract.17', exitCode: 3, attempts: 2 },
        { id: 'extract.29', exitCode: 3, attempts: 2 },
      ]);
      expect(tasks(plan, '--stage', 'merge')).toMatchObject([{ state: 'pending', attempts: 0 }]);
    });

    describe('a fixed failure, run again: only what failed runs again', () => {
      // A plan path and stage names that need quoting, one that looks like an option and one with
      // GNU parallel replacement strings: the scripts must hand them to run-partition intact.
      const planDir = join(base, `it's a $plan {}`);
      const plan = join(planDir, 'fix.plan');
      const out = join(base, 'out');
      const marker = join(base, 'fixed');
      const work = `work {} {#} "it's"`;
      const sum = '--sum';
      const FAILING = [3, 10];
      let script: string;

      beforeAll(() => {
        mkdirSync(planDir, { recursive: true });
        mkdirSync(out, { recursive: true });
        const specFile = join(base, 'fix.json');
        const q = shellQuote;
        writeFileSync(
          specFile,
          JSON.stringify({
            defaults: { retries: 0, nprocs: 2 },
            stages: [
              {
                name: work,
                // Each run of task k leaves a line in out/k.runs; tasks 3 and 10 fail until the marker exists.
                template:
                  `echo run >> ${q(out)}/{{k}}.runs; ` +
                  `case {{k}} in ${FAILING.join('|')}) [ -e ${q(marker)} ] || { echo "not fixed yet" >&2; exit 7; } ;; esac`,
                matrix: { k: { range: [0, 12] } },
              },
              {
                name: sum,
                after: [work],
                tasks: [{ cmd: `cat ${q(out)}/*.runs | wc -l > ${q(out)}/sum.txt` }],
              },
            ],
          }),
        );
        planSpec(specFile, plan);
      });

      it('first run: the failing tasks fail, the script exits non-zero after the first stage', () => {
        const r = generateAndRun(plan, 4, runner);
        expect(r.code, r.stderr).toBe(1);
        expect(status(plan).map(counts)).toEqual([
          stageCounts(work, 12, { succeeded: 10, failed: 2 }),
          stageCounts(sum, 1, { pending: 1 }),
        ]);
        const rows = tasks(plan, '--stage', work);
        expect(rows.filter((t) => t.state === 'failed').map((t) => t.id)).toEqual(
          FAILING.map((k) => `${work}.${k}`),
        );
        expect(rows.map((t) => t.attempts)).toEqual(Array(12).fill(1));
        for (let k = 0; k < 12; k++) expect(lines(join(out, `${k}.runs`)), `task ${k}`).toHaveLength(1);
        expect(existsSync(join(out, 'sum.txt'))).toBe(false);
      });

      it('second run, once fixed: only the failed tasks run again, then the next stage; exit 0', () => {
        writeFileSync(marker, '');
        const r = generateAndRun(plan, 4, runner);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain('every stage');
        expect(status(plan).map(counts)).toEqual([
          stageCounts(work, 12, { succeeded: 12 }),
          stageCounts(sum, 1, { succeeded: 1 }),
        ]);
        const rows = tasks(plan);
        expect(rows.every((t) => t.state === 'succeeded')).toBe(true);
        expect(rows.map((t) => [t.id, t.attempts])).toEqual([
          ...Array.from({ length: 12 }, (_, k) => [`${work}.${k}`, FAILING.includes(k) ? 2 : 1]),
          [`${sum}.0`, 1],
        ]);
        for (let k = 0; k < 12; k++)
          expect(lines(join(out, `${k}.runs`)), `task ${k}`).toHaveLength(FAILING.includes(k) ? 2 : 1);
        expect(lines(join(out, 'sum.txt')).map((l) => l.trim())).toEqual(['14']);
      });

      it('generate-script -o writes an executable script; running it again runs nothing', () => {
        script = join(base, 'scripts', 'nested', 'run.sh');
        const r = cli(['generate-script', plan, '4', '--runner', runner, '-o', script, '--json']);
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout) as { script?: string; content?: string };
        expect(report.script).toBe(script);
        expect(report.content).toBeUndefined();
        expect(statSync(script).mode & 0o111).toBe(0o111);
        // The same script generate-script prints when there is no -o.
        expect(readFileSync(script, 'utf8')).toBe(
          cli(['generate-script', plan, '4', '--runner', runner]).stdout,
        );
        const again = bash(shellQuote(script));
        expect(again.code, again.stderr).toBe(0);
        for (let k = 0; k < 12; k++)
          expect(lines(join(out, `${k}.runs`)), `task ${k}`).toHaveLength(FAILING.includes(k) ? 2 : 1);
        expect(tasks(plan).map((t) => t.attempts)).toEqual([
          ...Array.from({ length: 12 }, (_, k) => (FAILING.includes(k) ? 2 : 1)),
          1,
        ]);
      });
    });
  });

  // Rendering only: no engine needed.
  it('generate-script --json reports the partitions each stage really gets', () => {
    const plan = join(dir, `counts-${runner}.plan`);
    planSpec(join(FIXTURES, 'examples', 'sweep.yaml'), plan);
    for (const [n, extract] of [
      [1, 1],
      [4, 4],
      [36, 36],
      [100, 36],
    ] as const) {
      const r = cli(['generate-script', plan, String(n), '--runner', runner, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { runner: string; n: number; stages: unknown; content: string };
      expect(report).toMatchObject({ runner, n });
      expect(report.stages).toEqual([
        { name: 'extract', tasks: 36, partitions: extract },
        { name: 'merge', tasks: 1, partitions: 1 },
      ]);
      expect(report.content).toBe(cli(['generate-script', plan, String(n), '--runner', runner]).stdout);
    }
  });
});
