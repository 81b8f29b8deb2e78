// run-partition under signals and kills: a scheduler's warning or scancel (SIGTERM, SIGUSR1), a node
// dying (SIGKILL), and two copies of one partition at once. Nothing recorded as a success may be
// lost or run twice.
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const dir = scratch();

function makePlan(name: string, spec: object): string {
  const specFile = join(dir, `${name}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const plan = join(dir, `${name}.plan`);
  expect(cli(['plan', specFile, '-o', plan]).code).toBe(0);
  return plan;
}

function statusOf(plan: string) {
  const r = cli(['status', plan, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { stages: Record<string, number | string>[] };
}

function tasksJson(plan: string, ...args: string[]) {
  return JSON.parse(cli(['tasks', plan, '--json', ...args]).stdout) as {
    id: string;
    state: string;
    attempts: number;
  }[];
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function waitFor(predicate: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Four quick tasks and four that sleep until stopped; `started` gets a line as each starts. */
function mixedPlan(name: string) {
  const started = join(dir, `${name}.started`);
  const finished = join(dir, `${name}.finished`);
  const plan = makePlan(name, {
    stages: [
      {
        name: 's',
        template: `echo {{@index}} >> '${started}'; if [ {{@index}} -ge 4 ]; then sleep 60; fi; echo {{@index}} >> '${finished}'`,
        params: Array.from({ length: 8 }, () => ({})),
      },
    ],
  });
  return { plan, started, finished };
}

describe.each([
  ['SIGTERM', 143],
  ['SIGUSR1', 138],
  ['SIGINT', 130],
] as const)('on %s', (signal, code) => {
  it(`stops, records running tasks as interrupted, exits ${code}; a re-run starts only the interrupted tasks`, async () => {
    const { plan, started, finished } = mixedPlan(`sig-${signal}`);
    const run = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '8', '--grace', '2s']);
    await waitFor(() => lines(started).length === 8 && lines(finished).length === 4);
    const t0 = Date.now();
    run.child.kill(signal);
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(5000); // the sleeping tasks got SIGTERM, not the full minute
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(new RegExp(`stopped by ${signal}`));
    const stage = statusOf(plan).stages[0]!;
    expect(stage).toMatchObject({ total: 8, succeeded: 4, interrupted: 4, running: 0, lost: 0, failed: 0 });

    // A re-run starts exactly the four interrupted tasks (it is stopped again once they have).
    const rerun = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '8', '--json']);
    await waitFor(() => lines(started).length === 12);
    rerun.child.kill('SIGTERM');
    await rerun.done;
    expect(lines(started).slice(8).sort()).toEqual(['4', '5', '6', '7']);
  });
});

describe('SIGKILL', () => {
  it('loses at most the running tasks; a re-run completes everything and runs no success twice', async () => {
    const runs = join(dir, 'kill.runs');
    const plan = makePlan('kill', {
      stages: [
        {
          name: 's',
          template: `sleep 0.02; echo {{@index}} >> '${runs}'`,
          params: Array.from({ length: 300 }, () => ({})),
        },
      ],
    });
    const run = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '4']);
    await waitFor(() => lines(runs).length >= 60);
    run.child.kill('SIGKILL');
    await run.done;
    await new Promise((r) => setTimeout(r, 200));

    const before = tasksJson(plan);
    const succeededBefore = before.filter((t) => t.state === 'succeeded').map((t) => t.id);
    expect(succeededBefore.length).toBeGreaterThanOrEqual(50);
    // The killed writer is gone, so whatever it had started reads as lost, never as running.
    expect(before.some((t) => t.state === 'running')).toBe(false);
    expect(before.filter((t) => t.state === 'lost').length).toBeLessThanOrEqual(4);

    const again = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '4', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).skipped).toBe(succeededBefore.length);
    const counts = new Map<string, number>();
    for (const k of lines(runs)) counts.set(`s.${k}`, (counts.get(`s.${k}`) ?? 0) + 1);
    for (const id of succeededBefore) expect(counts.get(id), id).toBe(1);
    expect(statusOf(plan).stages[0]).toMatchObject({ succeeded: 300, lost: 0 });
  });

  it('ignores a torn last journal line', () => {
    const plan = makePlan('torn', { stages: [{ name: 's', tasks: [{ cmd: 'true' }, { cmd: 'true' }] }] });
    expect(cli(['run-partition', plan, 's', '2', '0']).code).toBe(0);
    const stageDir = join(plan, 'status', 'stage-0');
    const journal = readdirSync(stageDir).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(stageDir, journal), '{"k":"e","i":1,"a":1,"t":17'); // a write cut short
    const stage = statusOf(plan).stages[0]!;
    expect(stage).toMatchObject({ succeeded: 1, pending: 1 });
  });
});

describe('two copies of one partition at once', () => {
  it('records every success consistently and corrupts nothing', async () => {
    const runs = join(dir, 'twin.runs');
    const plan = makePlan('twin', {
      stages: [
        {
          name: 's',
          template: `sleep 0.05; echo {{@index}} >> '${runs}'`,
          params: Array.from({ length: 40 }, () => ({})),
        },
      ],
    });
    const a = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '2']);
    const b = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '2']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    const stageDir = join(plan, 'status', 'stage-0');
    expect(readdirSync(stageDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(2); // one journal each
    expect(statusOf(plan).stages[0]).toMatchObject({
      total: 40,
      succeeded: 40,
      failed: 0,
      running: 0,
      lost: 0,
    });
    expect(new Set(lines(runs)).size).toBe(40);
    // Later runs see every task as done.
    expect(JSON.parse(cli(['run-partition', plan, 's', '1', '0', '--json']).stdout).skipped).toBe(40);
  });
});

describe('a stop signal while run-partition is still loading', () => {
  it('is held and handed to the stop request once its handlers are in (not lost to Node’s defaults)', async () => {
    const { holdEarlyStopSignals, StopSignal } = await import('../../src/exec/stop-signal.js');
    const before = process.listenerCount('SIGUSR1');
    holdEarlyStopSignals();
    process.kill(process.pid, 'SIGUSR1');
    process.kill(process.pid, 'SIGTERM'); // only the first one counts, as for a running partition
    await new Promise((r) => setTimeout(r, 100));
    const stop = new StopSignal();
    const uninstall = stop.installProcessHandlers();
    uninstall();
    expect(stop.signal).toBe('SIGUSR1');
    expect(stop.exitCode()).toBe(138);
    // The holding handlers are gone with the hand-over.
    expect(process.listenerCount('SIGUSR1')).toBe(before);
  });

  it('a partition signalled the moment it catches signals stops at once with 138, nothing lost', async () => {
    const { plan } = mixedPlan('early');
    const run = cliAsync(['run-partition', plan, 's', '1', '0', '--nprocs', '8']);
    // SIGHUP caught (bit 0 of SigCgt; Node does not catch it by itself): the holding handlers are in.
    // The command may still be loading or already be starting tasks; either way the warning must
    // stop it. (Lost, Node's default for SIGUSR1 would open its inspector and run the 60 s tasks.)
    const catchesHup = () =>
      (BigInt('0x' + /SigCgt:\s*(\w+)/.exec(readFileSync(`/proc/${run.child.pid}/status`, 'utf8'))![1]!) &
        1n) ===
      1n;
    await waitFor(catchesHup, 5000);
    const t0 = Date.now();
    run.child.kill('SIGUSR1');
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(138);
    const stage = statusOf(plan).stages[0]!;
    expect(stage).toMatchObject({ running: 0, lost: 0, failed: 0 });
    expect(Number(stage.pending) + Number(stage.interrupted) + Number(stage.succeeded)).toBe(8);
  });
});
