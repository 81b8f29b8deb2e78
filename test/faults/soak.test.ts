// Soak: 100 random SIGKILL / SIGTERM / SIGSTOP events over a 2,000-task partition run by two
// copies at once (nprocs 8 each), each copy started again when it dies, as a scheduler's requeue
// would. Checked at the end against a ledger the tasks write themselves:
// - every task succeeded exactly once after its last recorded start (no two runs overlapped);
// - no task started after its success was recorded in a journal;
// - no process of the plan is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, scratch } from '../helpers.js';
import { lines, makePlan, MODES, processesOfPlan, waitFor } from './helpers.js';

const dir = scratch();
const TASKS = 2000;
const EVENTS = 100;

describe.each(MODES)('soak ($mode)', ({ mode, env }) => {
  it(`${EVENTS} random kills, stops and pauses over two copies of a ${TASKS}-task partition`, async () => {
    const ledger = join(dir, `soak-${mode}.ledger`);
    const plan = makePlan(dir, `soak-${mode}`, {
      stages: [
        {
          name: 's',
          shell: 'bash',
          template: `echo "S {{k}} $EPOCHREALTIME" >> '${ledger}'; sleep 0.0{{r}}; echo "O {{k}} $EPOCHREALTIME" >> '${ledger}'`,
          matrix: { k: { range: [0, TASKS] }, r: [5] },
        },
      ],
    });
    const copies: (ChildProcess | undefined)[] = [undefined, undefined];
    let finished = false;
    let starts = 0;
    const launch = (slot: number) => {
      starts++;
      const child = spawn(
        process.execPath,
        [BIN, 'run-partition', plan, 's', '1', '0', '--nprocs', '8', '--grace', '2'],
        { stdio: 'ignore', env: { ...process.env, ...env } },
      );
      copies[slot] = child;
      child.on('exit', (code) => {
        copies[slot] = undefined;
        if (code === 0) finished = true;
        else if (!finished) setTimeout(() => launch(slot), 20);
      });
    };
    launch(0);
    launch(1);
    const counts = { SIGKILL: 0, SIGTERM: 0, SIGSTOP: 0 };
    let fired = 0;
    while (fired < EVENTS && !finished) {
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 120));
      const live = copies.filter((c): c is ChildProcess => c !== undefined);
      // Both copies between a death and their restart: try again, so that all EVENTS are delivered.
      if (live.length === 0) continue;
      fired++;
      const victim = live[Math.floor(Math.random() * live.length)]!;
      const sig = (['SIGKILL', 'SIGTERM', 'SIGSTOP'] as const)[Math.floor(Math.random() * 3)]!;
      counts[sig]++;
      victim.kill(sig);
      if (sig === 'SIGSTOP') setTimeout(() => victim.kill('SIGCONT'), 50 + Math.random() * 400);
    }
    await waitFor(() => finished && copies.every((c) => c === undefined), 150_000);

    // The ledger, in write order (O_APPEND): per task, its starts and successes.
    const byTask = new Map<number, { kind: string; t: number }[]>();
    for (const l of lines(ledger)) {
      const [kind, k, t] = l.split(' ');
      const list = byTask.get(Number(k)) ?? [];
      list.push({ kind: kind!, t: Number(t) });
      byTask.set(Number(k), list);
    }
    expect(byTask.size).toBe(TASKS);
    for (const [k, events] of byTask) {
      const last = events.map((e) => e.kind).lastIndexOf('S');
      const after = events.slice(last + 1).filter((e) => e.kind === 'O').length;
      expect(after, `task ${k}: ${JSON.stringify(events)}`).toBe(1);
    }

    // The first success recorded for each task, from the journals.
    const stageDir = join(plan, 'status', 'stage-0');
    const recorded = new Map<number, number>();
    for (const f of readdirSync(stageDir).filter((x) => x.endsWith('.jsonl')))
      for (const line of readFileSync(join(stageDir, f), 'utf8').split('\n')) {
        let rec: { k?: string; i?: number; st?: string; t?: number };
        try {
          rec = JSON.parse(line) as typeof rec;
        } catch {
          continue; // a torn last line of a killed copy
        }
        if (rec.k === 'e' && rec.st === 'succeeded' && !(recorded.get(rec.i!)! <= rec.t!))
          recorded.set(rec.i!, rec.t!);
      }
    expect(recorded.size).toBe(TASKS);
    for (const [k, events] of byTask) {
      const success = recorded.get(k)! / 1000;
      const late = events.filter((e) => e.kind === 'S' && e.t > success + 0.01);
      expect(late, `task ${k} started after its success was recorded at ${success}`).toEqual([]);
    }

    const st = JSON.parse(cli(['status', plan, '--json']).stdout).stages[0];
    expect(st).toMatchObject({ total: TASKS, succeeded: TASKS, running: 0, lost: 0 });
    await waitFor(() => processesOfPlan(plan).length === 0, 5000);
    expect(counts.SIGKILL + counts.SIGTERM + counts.SIGSTOP).toBe(EVENTS);
    expect(starts).toBeGreaterThan(2);
  }, 180_000);
});
