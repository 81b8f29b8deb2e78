// --runner ssh --skip-failures against the project's sshd: run-hosts sends out only the partitions
// with work besides failures, run-partition on the hosts leaves the failed task alone, and the
// stage stays unfinished (exit 1, the stage after it not run), with both ssh clients.
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliAwait, scratch } from '../helpers.js';
import * as h from './runner-helpers.js';
import { leftovers, runScript, script, tasksOf } from './runner-helpers.js';
import { sshdUp } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-skipf-');
chmodSync(dir, 0o755);

describe.runIf(up).each(['ssh2', 'openssh'])('--runner ssh --skip-failures (--ssh-client %s)', (client) => {
  it('a failed task is not run again; partitions with other work run; exit 1, the next stage not run', async () => {
    const ledger = join(dir, `ledger-${client}`);
    const plan = await h.makePlan(dir, 6, `echo {{i}} >> ${ledger}; [ {{i}} -ne 3 ]`);
    // Partition 1 of 3 (tasks 2 and 3) runs here first: 3 fails.
    expect((await cliAwait(['run-partition', plan, 'work', '3', '1'])).code).toBe(1);
    const hosts = ['--skip-failures'];
    const r = await runScript(await script(plan, 3, '1/a,1/b', client, hosts), h.sshConfig(dir, client)).done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("stage 'work': 1 failed task(s) left alone (--skip-failures), not run again");
    expect(r.stderr).toContain(
      "stage 'work': partition(s) 1 already done or left with failures alone, skipped; running 2 of 3",
    );
    // 2 and 3 once (the run here), the others once (over ssh); the stage after work never ran.
    const ran = readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(ran.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const tasks = await tasksOf(plan);
    expect(tasks.filter((t) => t.state === 'failed').map((t) => t.id)).toEqual(['work.3']);
    expect(tasks.find((t) => t.id === 'last')?.state).toBe('pending');
    expect(tasks.every((t) => t.attempts <= 1)).toBe(true);

    // Without the flag the same script runs the failed task again.
    const again = await runScript(await script(plan, 3, '1/a', client), h.sshConfig(dir, client)).done;
    expect(again.code).toBe(1);
    expect(readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map(Number).sort()).toEqual([
      0, 1, 2, 3, 3, 4, 5,
    ]);
    expect(leftovers(plan)).toEqual([]);
  }, 120_000);
});
