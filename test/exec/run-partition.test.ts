// run-partition with real processes: concurrency, environment, retries, timeouts, skipping what is
// done, and Saturn's output layout. Signals and kills are in signals.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, FIXTURES, processGone, scratch } from '../helpers.js';

const dir = scratch();

/** Write a spec and plan it; returns the plan directory. */
function makePlan(name: string, spec: object): string {
  const specFile = join(dir, `${name}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const plan = join(dir, `${name}.plan`);
  const r = cli(['plan', specFile, '-o', plan]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return plan;
}

function tasksJson(plan: string, ...args: string[]) {
  const r = cli(['tasks', plan, '--json', ...args]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {
    id: string;
    state: string;
    exitCode: number | null;
    attempts: number;
    timedOut?: boolean;
  }[];
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('concurrency and environment', () => {
  let plan: string;
  const events = join(dir, 'events.txt');
  const envs = join(dir, 'envs.txt');
  beforeAll(() => {
    plan = makePlan('pool', {
      stages: [
        {
          name: 'work',
          template:
            `echo "+ $BATCHPLAN_LOCAL_RANK" >> '${events}'; ` +
            `echo "$BATCHPLAN_TASK_ID|$BATCHPLAN_STAGE|$BATCHPLAN_PARTITION|$BATCHPLAN_ATTEMPT|$BATCHPLAN_LOCAL_RANK|$SATURN_RUN_LOCAL_RANK|$BATCHPLAN_RESULTS_DIR|$SATURN_RUN_LOCAL_RESULTS_DIR|$FROM_SPEC" >> '${envs}'; ` +
            `sleep 0.3; echo "- $BATCHPLAN_LOCAL_RANK" >> '${events}'`,
          matrix: { k: { range: [0, 12] } },
          env: { FROM_SPEC: 'yes' },
        },
      ],
    });
  });

  it('runs at most P tasks at once, each in its own slot 0..P-1', () => {
    const r = cli(['run-partition', plan, 'work', '2', '1', '--nprocs', '3']);
    expect(r.code).toBe(0);
    let running = 0;
    let peak = 0;
    const busy = new Set<string>();
    for (const line of lines(events)) {
      const [sign, slot] = line.split(' ');
      if (sign === '+') {
        expect(busy.has(slot!)).toBe(false); // no two tasks share a slot
        busy.add(slot!);
        peak = Math.max(peak, ++running);
      } else {
        busy.delete(slot!);
        running--;
      }
      expect(['0', '1', '2']).toContain(slot);
    }
    expect(peak).toBe(3);
    expect(lines(events)).toHaveLength(12); // partition 1 of 2 holds 6 tasks
  });

  it('gives each task the documented environment', () => {
    const rows = lines(envs).map((l) => l.split('|'));
    expect(rows.map((r) => r[0]).sort()).toEqual([
      'work.10',
      'work.11',
      'work.6',
      'work.7',
      'work.8',
      'work.9',
    ]);
    for (const [, stage, partition, attempt, rank, saturnRank, results, saturnResults, fromSpec] of rows) {
      expect(stage).toBe('work');
      expect(partition).toBe('1');
      expect(attempt).toBe('1');
      expect(saturnRank).toBe(rank);
      expect(results).toBe(join(plan, 'results', 'stage-0'));
      expect(saturnResults).toBe(results);
      expect(fromSpec).toBe('yes');
    }
  });

  it('reports the partition as JSON', () => {
    const r = cli(['run-partition', plan, 'work', '2', '0', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      stage: 'work',
      partition: 0,
      partitions: 2,
      start: 0,
      end: 6,
      tasks: 6,
      succeeded: 6,
      failed: 0,
    });
  });

  it("takes the index from the scheduler's variable with 'auto', converting one-based ones", () => {
    // Everything already succeeded, so these only resolve the index and skip.
    const slurm = cli(['run-partition', plan, 'work', '2', 'auto', '--json'], {
      env: { SLURM_ARRAY_TASK_ID: '1' },
    });
    expect(JSON.parse(slurm.stdout)).toMatchObject({ partition: 1, skipped: 6 });
    const sge = cli(['run-partition', plan, 'work', '2', 'auto', '--json'], { env: { SGE_TASK_ID: '1' } });
    expect(JSON.parse(sge.stdout)).toMatchObject({ partition: 0 });
    const custom = cli(
      ['run-partition', plan, 'work', '2', 'auto', '--index-var', 'MY_IDX', '--one-based', '--json'],
      { env: { MY_IDX: '2' } },
    );
    expect(JSON.parse(custom.stdout)).toMatchObject({ partition: 1 });
    const none = cli(['run-partition', plan, 'work', '2', 'auto'], {
      env: { SLURM_ARRAY_TASK_ID: '', SGE_TASK_ID: 'undefined' },
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no scheduler array index is set/);
  });
});

describe('retries, backoff and timeouts', () => {
  it('retries a failing task with backoff, then records success and the attempt count', () => {
    const counter = join(dir, 'flaky-count');
    const stamps = join(dir, 'flaky-stamps');
    const plan = makePlan('flaky', {
      defaults: { retries: 2, backoff: '0.5s' },
      stages: [
        {
          name: 's',
          tasks: [
            {
              id: 'flaky',
              cmd: `date +%s.%N >> '${stamps}'; echo $BATCHPLAN_ATTEMPT >> '${counter}'; [ "$(wc -l < '${counter}')" -ge 2 ]`,
            },
            { id: 'always-fails', cmd: 'echo nope >&2; exit 7', retries: 1 },
          ],
        },
      ],
    });
    const r = cli(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(1); // a task failed
    expect(lines(counter)).toEqual(['1', '2']);
    const [t1, t2] = lines(stamps).map(Number);
    expect(t2! - t1!).toBeGreaterThanOrEqual(0.45);
    const byId = Object.fromEntries(tasksJson(plan).map((t) => [t.id, t]));
    expect(byId.flaky).toMatchObject({ state: 'succeeded', attempts: 2, exitCode: 0 });
    expect(byId['always-fails']).toMatchObject({ state: 'failed', attempts: 2, exitCode: 7 });
  });

  it('kills a task that outlives its timeout, with its whole process group', () => {
    const pidFile = join(dir, 'grandchild.pid');
    const plan = makePlan('slow', {
      stages: [
        {
          name: 's',
          tasks: [{ id: 'slow', cmd: `sleep 300 & echo $! > '${pidFile}'; sleep 300`, timeout: '1s' }],
        },
      ],
    });
    const t0 = Date.now();
    const r = cli(['run-partition', plan, 's', '1', '0', '--grace', '1s']);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    const [task] = tasksJson(plan);
    expect(task).toMatchObject({ state: 'failed', timedOut: true, exitCode: null });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(processGone(grandchild)).toBe(true); // the background child died with the group
  });
});

describe('re-running', () => {
  it('skips tasks that already succeeded and exits 0 when all have', () => {
    const runs = join(dir, 'rerun-runs');
    const marker = join(dir, 'rerun-fixed');
    const plan = makePlan('rerun', {
      stages: [
        {
          name: 's',
          template: `echo {{@index}} >> '${runs}'; [ {{@index}} -ne 3 ] || [ -e '${marker}' ]`,
          params: Array.from({ length: 6 }, () => ({})),
        },
      ],
    });
    expect(cli(['run-partition', plan, 's', '1', '0']).code).toBe(1);
    expect(lines(runs).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    writeFileSync(marker, '');
    const second = cli(['run-partition', plan, 's', '1', '0', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ skipped: 5, succeeded: 1, failed: 0 });
    expect(lines(runs).sort()).toEqual(['0', '1', '2', '3', '3', '4', '5']);
    const third = cli(['run-partition', plan, 's', '1', '0', '--json']);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ skipped: 6, succeeded: 0 });
    expect(tasksJson(plan).find((t) => t.id === 's.3')).toMatchObject({ attempts: 2, state: 'succeeded' });
  });
});

describe('output', () => {
  it('keeps stdout and stderr for `logs`, bounded by --log-limit (the tail is kept)', () => {
    const plan = makePlan('chatty', {
      stages: [{ name: 's', tasks: [{ id: 'loud', cmd: 'seq 1 20000; echo to-stderr >&2' }] }],
    });
    expect(cli(['run-partition', plan, 's', '1', '0', '--log-limit', '1000']).code).toBe(0);
    const out = cli(['logs', plan, 'loud', '--stdout']).stdout;
    expect(out).toMatch(/earlier bytes of output dropped/);
    expect(out.trimEnd().endsWith('19999\n20000')).toBe(true);
    expect(out.length).toBeLessThan(1200);
    expect(cli(['logs', plan, 'loud', '--stderr']).stdout).toBe('to-stderr\n');
  });

  it('writes Saturn layout for runs with an output path', () => {
    const work = scratch();
    writeFileSync(join(work, 'batch.json'), readFileSync(join(FIXTURES, 'examples', 'saturn-batch.json')));
    const plan = join(work, 'batch.plan');
    expect(cli(['plan', join(work, 'batch.json'), '-o', plan]).code).toBe(0);
    const r = cli(['run-partition', plan, 'batch', '1', '0']);
    expect(r.code).toBe(1); // run 1 exits 2
    const out = join(work, 'saturn-output');
    expect(readFileSync(join(out, '0', 'results', 'first.txt'), 'utf8')).toBe('first\n');
    expect(readFileSync(join(out, '0', 'status_code'), 'utf8')).toBe('0');
    expect(readFileSync(join(out, '1', 'stdout'), 'utf8')).toBe('second\n');
    expect(readFileSync(join(out, '1', 'stderr'), 'utf8')).toBe('oops\n');
    expect(readFileSync(join(out, '1', 'status_code'), 'utf8')).toBe('2');
    expect(readFileSync(join(out, 'third', 'stdout'), 'utf8')).toBe('third\n');
    expect(existsSync(join(out, 'third', 'results'))).toBe(true);
  });
});
