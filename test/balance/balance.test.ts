// Balanced mode for real: run-partition processes of one stage share its work through claim files.
// Each task writes a ledger line when it starts and when it ends (with the partition that ran it),
// so "never run twice" is counted, not assumed; status, tasks and logs must stay exact.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, cliAsync, scratch, type CliResult } from '../helpers.js';
import { lines, makePlan, processesOfPlan, waitFor } from '../faults/helpers.js';

const dir = scratch();
const BAL = { BATCHPLAN_BALANCE: '1' };

/** A stage whose task k logs `S k partition` and `O k partition`, running `body` between. */
function ledgerPlan(name: string, count: number, body: (k: number) => string, stage: object = {}) {
  const ledger = join(dir, `${name}.ledger`);
  const plan = makePlan(dir, name, {
    stages: [
      {
        name: 's',
        shell: 'bash',
        ...stage,
        tasks: Array.from({ length: count }, (_, k) => ({
          cmd: `echo "S ${k} $BATCHPLAN_PARTITION" >> '${ledger}'; ${body(k)}; echo "O ${k} $BATCHPLAN_PARTITION" >> '${ledger}'; echo out-${k}`,
        })),
      },
    ],
  });
  return { plan, ledger };
}

function starts(ledger: string): Map<number, string[]> {
  const by = new Map<number, string[]>();
  for (const l of lines(ledger)) {
    const [kind, k, p] = l.split(' ');
    if (kind !== 'S') continue;
    by.set(Number(k), [...(by.get(Number(k)) ?? []), p!]);
  }
  return by;
}

function stageStatus(plan: string) {
  return JSON.parse(cli(['status', plan, '--json']).stdout).stages[0];
}

describe('balanced mode', () => {
  it('partitions whose slices are done take the busy one’s unstarted tasks; each task runs once', async () => {
    // Partition 0 of 4 holds all the slow tasks.
    const { plan, ledger } = ledgerPlan('hetero', 64, (k) => `sleep ${k < 16 ? 0.4 : 0.02}`);
    const runs = [0, 1, 2, 3].map((i) =>
      cliAsync(['run-partition', plan, 's', '4', String(i), '--nprocs', '2', '--json'], { env: BAL }),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const json = results.map((r) => JSON.parse(r.stdout));
    const by = starts(ledger);
    expect(by.size).toBe(64);
    for (const [k, ps] of by) expect(ps.length, `task ${k} started by ${ps}`).toBe(1);
    // Slow tasks of partition 0's slice ran elsewhere.
    const elsewhere = [...by].filter(([k, ps]) => k < 16 && ps[0] !== '0').length;
    expect(elsewhere).toBeGreaterThan(4);
    expect(json.reduce((s, j) => s + j.succeeded, 0)).toBe(64);
    // Fast partitions may also take each other's chunks (a slice fallen behind): every task run
    // outside its own slice is counted by the partition that ran it.
    const outside = [...by].filter(([k, ps]) => ps[0] !== String(Math.floor(k / 16))).length;
    expect(json.reduce((s, j) => s + j.balance.stolenTasks, 0)).toBe(outside);
    expect(stageStatus(plan)).toMatchObject({ total: 64, succeeded: 64, running: 0, lost: 0, pending: 0 });
    // A task partition 3 ran for partition 0: tasks and logs find it like any other.
    const [k] = [...by].find(([k, ps]) => k < 16 && ps[0] !== '0')!;
    const tasks = JSON.parse(cli(['tasks', plan, '--json']).stdout);
    const row = (tasks.tasks ?? tasks).find((t: { id: string }) => t.id === `s.${k}`);
    expect(row).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(cli(['logs', plan, `s.${k}`]).stdout).toContain(`out-${k}`);
    // Claims: a few files per chunk, none per task; no hungry marker left.
    const claims = readdirSync(join(plan, 'status', 'claims', 'stage-0'));
    expect(readdirSync(join(plan, 'status', 'claims', 'stage-0', 'hungry'))).toEqual([]);
    expect(claims.filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('slices move at one pace: a partition alone takes the chunks of a slice nobody runs early, from its back', () => {
    // 2 slices of 32 tasks in 16 chunks of 2, one slot, partition 1 never started: partition 0 takes
    // partition 1's last chunk once its own slice is 2 chunks ahead, not after its own slice.
    const { plan, ledger } = ledgerPlan('pace', 64, () => 'true');
    const r = cli(['run-partition', plan, 's', '2', '0', '--nprocs', '1', '--json'], { env: BAL });
    expect(r.code, r.stderr).toBe(0);
    const order = lines(ledger)
      .filter((l) => l.startsWith('S '))
      .map((l) => Number(l.split(' ')[1]));
    expect(order.length).toBe(64);
    expect(new Set(order).size).toBe(64);
    expect(order.slice(0, 6)).toEqual([0, 1, 2, 3, 62, 63]);
    expect(JSON.parse(r.stdout).balance.stolenTasks).toBe(32);
    expect(stageStatus(plan)).toMatchObject({ succeeded: 64, running: 0, lost: 0 });
  });

  it('a heavy chunk is split: the back of its queue goes to other partitions while it runs, each task once', async () => {
    // 2 slices of 160 tasks in chunks of 10, 2 slots: partition 0's second chunk (tasks 10-19)
    // holds long tasks, far longer than its first chunk's; it gives back the back half of its
    // queue, which partition 1 takes before its own short work, long before its slice is done.
    const { plan, ledger } = ledgerPlan('heavy', 320, (k) => `sleep ${k >= 10 && k < 20 ? 1.5 : 0.01}`);
    const runs = ['0', '1'].map((i) =>
      cliAsync(['run-partition', plan, 's', '2', i, '--nprocs', '2', '--json'], { env: BAL }),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const [j0, j1] = results.map((r) => JSON.parse(r.stdout));
    expect(j0.balance.split).toBeGreaterThanOrEqual(1);
    const by = starts(ledger);
    expect(by.size).toBe(320);
    for (const [k, ps] of by) expect(ps.length, `task ${k}`).toBe(1);
    const longElsewhere = [...by].filter(([k, ps]) => k >= 10 && k < 20 && ps[0] === '1').length;
    expect(longElsewhere).toBeGreaterThanOrEqual(2);
    expect(j0.succeeded + j1.succeeded).toBe(320);
    expect(stageStatus(plan)).toMatchObject({ succeeded: 320, running: 0, lost: 0 });
  });

  it('never starts a task another live partition is running, and takes what it queued behind it', async () => {
    // 32 tasks per slice, 16 chunks of 2: partition 0 (one slot) blocks on task 0 with task 1
    // queued behind it in the same chunk; partition 1 does the rest, then is given task 1.
    const release = join(dir, 'held.release');
    const { plan, ledger } = ledgerPlan('held', 64, (k) =>
      k === 0 ? `while [ ! -e '${release}' ]; do sleep 0.05; done` : 'sleep 0.01',
    );
    const a = cliAsync(['run-partition', plan, 's', '2', '0', '--nprocs', '1', '--json'], { env: BAL });
    await waitFor(() => starts(ledger).has(0));
    const b = cliAsync(['run-partition', plan, 's', '2', '1', '--nprocs', '2', '--json'], { env: BAL });
    await waitFor(() => lines(ledger).some((l) => l === 'O 1 1'), 30_000);
    expect(starts(ledger).get(0)).toEqual(['0']); // not started again while partition 0 runs it
    expect(stageStatus(plan)).toMatchObject({ running: 1, succeeded: 63 });
    writeFileSync(release, '');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const by = starts(ledger);
    for (const [k, ps] of by) expect(ps.length, `task ${k}`).toBe(1);
    expect(by.size).toBe(64);
    expect(JSON.parse(ra.stdout).balance.gaveBack).toBeGreaterThanOrEqual(1);
    expect(stageStatus(plan)).toMatchObject({ succeeded: 64, running: 0, lost: 0 });
  });

  it('takes over the claims of a partition killed with SIGKILL; lost tasks run again, once', async () => {
    const release = join(dir, 'kill.release');
    const { plan, ledger } = ledgerPlan('kill', 16, (k) =>
      k < 8 ? `while [ ! -e '${release}' ]; do sleep 0.05; done` : 'true',
    );
    const victim = spawn(process.execPath, [BIN, 'run-partition', plan, 's', '2', '0', '--nprocs', '2'], {
      env: { ...process.env, ...BAL },
      stdio: 'ignore',
      detached: true,
    });
    await waitFor(() => starts(ledger).size >= 2);
    process.kill(-victim.pid!, 'SIGKILL');
    await waitFor(() => processesOfPlan(plan).length === 0, 10_000);
    expect(stageStatus(plan)).toMatchObject({ lost: 2 });
    writeFileSync(release, '');
    const r = cli(['run-partition', plan, 's', '2', '1', '--nprocs', '2', '--json'], { env: BAL });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.balance.takenOver).toBeGreaterThanOrEqual(1);
    expect(j.succeeded).toBe(16);
    const by = starts(ledger);
    // The two killed attempts, then one run each: attempts count 2 for them, 1 for the rest.
    const twice = [...by].filter(([, ps]) => ps.length === 2).map(([k]) => k);
    expect(twice.length).toBe(2);
    expect([...by].every(([, ps]) => ps.length <= 2)).toBe(true);
    expect(stageStatus(plan)).toMatchObject({ succeeded: 16, lost: 0, running: 0 });
    const tasks = JSON.parse(cli(['tasks', plan, '--json']).stdout);
    const rows = tasks.tasks ?? tasks;
    for (const k of twice) expect(rows.find((t: { id: string }) => t.id === `s.${k}`).attempts).toBe(2);
  });

  it('a re-run of a finished balanced stage runs nothing again', () => {
    const { plan, ledger } = ledgerPlan('rerun', 12, () => 'true');
    for (const i of ['0', '1', '2'])
      expect(cli(['run-partition', plan, 's', '3', i, '--json'], { env: BAL }).code).toBe(0);
    const again = cli(['run-partition', plan, 's', '3', '1', '--json'], { env: BAL });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ succeeded: 0, skipped: 4 });
    expect(lines(ledger).filter((l) => l.startsWith('S')).length).toBe(12);
  });

  it('a failed task is retried by a re-run of its own partition, not by the others', () => {
    const flag = join(dir, 'fail.ok');
    const { plan, ledger } = ledgerPlan('fail', 8, (k) => (k === 1 ? `[ -e '${flag}' ] || exit 3` : 'true'));
    const first = ['0', '1'].map((i) => cli(['run-partition', plan, 's', '2', i, '--json'], { env: BAL }));
    expect(first.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(stageStatus(plan)).toMatchObject({ failed: 1, succeeded: 7 });
    writeFileSync(flag, '');
    const other = cli(['run-partition', plan, 's', '2', '1', '--json'], { env: BAL });
    expect(JSON.parse(other.stdout).succeeded).toBe(0);
    const own = cli(['run-partition', plan, 's', '2', '0', '--json'], { env: BAL });
    expect(own.code, own.stderr).toBe(0);
    expect(stageStatus(plan)).toMatchObject({ failed: 0, succeeded: 8 });
    expect(starts(ledger).get(1)!.length).toBe(2);
    expect(existsSync(join(plan, 'status', 'claims'))).toBe(true);
  });

  it('backup tasks: an idle partition runs a second copy of a straggler; the first to succeed wins', async () => {
    // Task 3 hangs where it first runs (partition 0: a slow node) and is quick anywhere else.
    // Backups are the stage's setting in the spec (backup: true), carried in plan.json.
    const { plan, ledger } = ledgerPlan(
      'backup',
      16,
      (k) => (k === 3 ? 'if [ "$BATCHPLAN_PARTITION" = 0 ]; then sleep 30; else sleep 0.1; fi' : 'sleep 0.1'),
      { balance: true, backup: true },
    );
    expect(JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8')).stages[0].backup).toBe(3);
    const t0 = Date.now();
    const runs = ['0', '1'].map((i) =>
      cliAsync(['run-partition', plan, 's', '2', i, '--nprocs', '2', '--json'], {
        env: { BATCHPLAN_BALANCE: '', BATCHPLAN_BACKUP: '' },
      }),
    );
    const [r0, r1] = (await Promise.all(runs.map((r) => r.done))) as [CliResult, CliResult];
    expect(Date.now() - t0).toBeLessThan(20_000); // not the 30 s of the slow copy
    expect(r0.code, r0.stderr).toBe(0);
    expect(r1.code, r1.stderr).toBe(0);
    const [j0, j1] = [JSON.parse(r0.stdout), JSON.parse(r1.stdout)];
    expect(j0.balance.backups + j1.balance.backups).toBe(1);
    expect(j0.superseded).toBe(1);
    expect(starts(ledger).get(3)!.sort()).toEqual(['0', '1']); // two copies, on purpose
    // Each other task ran once; the slow copy never wrote its end.
    expect(lines(ledger).filter((l) => l.startsWith('O 3 '))).toEqual(['O 3 1']);
    const st = stageStatus(plan);
    expect(st).toMatchObject({ succeeded: 16, running: 0, lost: 0, superseded: 1 });
    expect(cli(['status', plan]).stdout).toContain('1 task(s) finished first by a backup copy');
    // tasks marks the superseded attempt (text and JSON); the others have none.
    const rows = JSON.parse(cli(['tasks', plan, '--json']).stdout);
    expect(
      rows.filter((t: { superseded?: number }) => t.superseded).map((t: { id: string }) => t.id),
    ).toEqual(['s.3']);
    expect(rows.find((t: { id: string }) => t.id === 's.3')).toMatchObject({
      state: 'succeeded',
      superseded: 1,
    });
    expect(cli(['tasks', plan, '--state', 'succeeded']).stdout).toMatch(/s\.3 .*\(1 superseded\)/);
    await waitFor(() => processesOfPlan(plan).length === 0, 5000);
  });

  it('no backup for a task marked not safe to run twice (BATCHPLAN_NO_BACKUP=1 in its env)', async () => {
    const release = join(dir, 'nobackup.release');
    const ledger = join(dir, 'nobackup.ledger');
    const plan = makePlan(dir, 'nobackup', {
      stages: [
        {
          name: 's',
          tasks: Array.from({ length: 12 }, (_, k) => ({
            cmd: `echo "S ${k} $BATCHPLAN_PARTITION" >> '${ledger}'; ${k === 0 ? `while [ ! -e '${release}' ]; do sleep 0.05; done` : 'sleep 0.05'}`,
            ...(k === 0 ? { env: { BATCHPLAN_NO_BACKUP: '1' } } : {}),
          })),
        },
      ],
    });
    const runs = ['0', '1'].map((i) =>
      cliAsync(['run-partition', plan, 's', '2', i, '--nprocs', '1', '--json'], {
        env: { ...BAL, BATCHPLAN_BACKUP: '2' },
      }),
    );
    await waitFor(() => lines(ledger).length >= 12);
    await new Promise((r) => setTimeout(r, 3000)); // well past the threshold (1 s)
    expect(starts(ledger).get(0)).toEqual(['0']);
    writeFileSync(release, '');
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.map((r) => JSON.parse(r.stdout).balance.backups)).toEqual([0, 0]);
  });

  it('the wallclock warning (SIGUSR1): a partition stops taking work and gives back what it had not started', async () => {
    // 32 tasks per slice in chunks of 2: partition 0 (one slot) is stopped while its first task
    // runs; partition 1, started afterwards, runs all the rest at once instead of waiting for the
    // holder to be judged gone.
    const { plan, ledger } = ledgerPlan('usr1', 64, (k) => (k < 32 ? 'sleep 1' : 'sleep 0.01'));
    const a = cliAsync(['run-partition', plan, 's', '2', '0', '--nprocs', '1', '--json'], { env: BAL });
    await waitFor(() => starts(ledger).has(0));
    a.child.kill('SIGUSR1');
    const ra = await a.done;
    expect(ra.code).toBe(138);
    const given = readdirSync(join(plan, 'status', 'claims', 'stage-0')).filter((f) => /\.r\d+-\d+$/.test(f));
    expect(given.length).toBe(1); // its chunk's unstarted tail
    const b = cli(['run-partition', plan, 's', '2', '1', '--nprocs', '8', '--json'], { env: BAL });
    expect(b.code, b.stderr).toBe(0);
    expect(stageStatus(plan)).toMatchObject({ succeeded: 64, lost: 0, running: 0 });
    for (const [k, ps] of starts(ledger)) expect(ps.length, `task ${k}`).toBeLessThanOrEqual(2);
  });

  it('a stage planned with balance: true runs balanced; the flag and BATCHPLAN_BALANCE override the plan', () => {
    // Alone, a balanced partition also runs the slices nobody has started: all 8 tasks, not its 4.
    const spec = (stage: object, defaults: object = {}) => ({
      defaults,
      stages: [{ name: 's', ...stage, tasks: Array.from({ length: 8 }, () => ({ cmd: 'true' })) }],
    });
    const plans = {
      stage: makePlan(dir, 'planned', spec({ balance: true })),
      defaults: makePlan(dir, 'planned-defaults', spec({}, { balance: true })),
      off: makePlan(dir, 'planned-off', spec({ balance: false }, { balance: true })),
    };
    const planFile = JSON.parse(readFileSync(join(plans.stage, 'plan.json'), 'utf8'));
    expect(planFile.stages[0].balance).toBe(true);
    const ran = (plan: string, args: string[] = [], env: Record<string, string> = {}) => {
      rmSync(join(plan, 'status'), { recursive: true, force: true });
      const r = cli(['run-partition', plan, 's', '2', '1', '--json', ...args], {
        env: { BATCHPLAN_BALANCE: '', ...env },
      });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).succeeded;
    };
    expect(ran(plans.stage)).toBe(8);
    expect(ran(plans.defaults)).toBe(8);
    expect(ran(plans.off)).toBe(4);
    expect(ran(plans.stage, [], { BATCHPLAN_BALANCE: '0' })).toBe(4);
    expect(ran(plans.stage, ['--no-balance'])).toBe(4);
    expect(ran(plans.off, [], { BATCHPLAN_BALANCE: '1' })).toBe(8);
    expect(ran(plans.off, ['--balance'], { BATCHPLAN_BALANCE: '0' })).toBe(8);
  });

  it('BATCHPLAN_BALANCE with a value it does not know is a usage error', () => {
    const { plan } = ledgerPlan('badenv', 2, () => 'true');
    const r = cli(['run-partition', plan, 's', '1', '0'], { env: { BATCHPLAN_BALANCE: 'maybe' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BATCHPLAN_BALANCE=maybe');
  });
});
