// --runner ssh --host-sync against the project's sshd, for hosts without a shared file system: the
// plan sits in a directory the test user cannot enter, so its hosts cannot see it at that path.
// Refused without --host-sync (the message says so); with it each host works on its own copy, and
// the journals and logs come back: status and logs here count them. A host dropped mid-run: what
// came back counts, the rest is run on the host left.
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliAwait, scratch } from '../helpers.js';
import { privateSshd, type PrivateSshd } from './private-sshd.js';
import * as h from './runner-helpers.js';
import { leftovers, runScript, script, tasksOf, until } from './runner-helpers.js';
import { sshdUp, TEST_USER } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-sync-');
chmodSync(dir, 0o755);
// Where the hosts keep their copies: writable by the test user.
const copies = join(dir, 'copies');
mkdirSync(copies, { mode: 0o777 });
chmodSync(copies, 0o1777);
// Task marks, written by the test user.
const marks = join(dir, 'marks');
mkdirSync(marks, { mode: 0o777 });
chmodSync(marks, 0o1777);
// The plans: only root may enter.
const closed = join(dir, 'closed');
mkdirSync(closed, { mode: 0o700 });

const users = (extra = '') =>
  `${extra}Host u\n  HostName 127.0.0.2\n  Port 2223\n  User ${TEST_USER}\nHost v\n  HostName 127.0.0.3\n  Port 2222\n  User ${TEST_USER}\n`;

describe.runIf(up).each(['ssh2', 'openssh'])('--runner ssh --host-sync (--ssh-client %s)', (client) => {
  it('a host that cannot see the plan is refused and told about --host-sync; with it every task runs there and is counted here', async () => {
    const out = join(marks, client);
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const plan = await h.makePlan(closed, 12, `id -un; echo "$SSH_CONNECTION" > ${out}/{{i}}.host`);
    const config = h.sshConfig(dir, `sync-${client}`, users());

    const refused = await runScript(await script(plan, 6, '2/u,1/v', client), config).done;
    expect(refused.code, refused.stderr).toBe(7);
    expect(refused.stderr).toContain(`u cannot see the plan at ${plan}: `);
    expect(refused.stderr).toContain('--host-sync DIR');

    const synced = await script(plan, 6, '2/u,1/v', client, ['--host-sync', copies]);
    const r = await runScript(synced, config).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`u: plan copied to ${copies}/run_\\d+__x_.plan-[0-9a-f]{12}`));
    // u and v share the directory here (as hosts may share a home): each has a copy of its own,
    // else the two copies made at once replaced each other ("Directory not empty").
    const copyOf = (h: string) =>
      new RegExp(`\\b${h}: (?:plan copied to|its copy is) (\\S+?)(?:,|\\n)`).exec(r.stderr)?.[1];
    expect(copyOf('u')).toBeDefined();
    expect(copyOf('v')).toBeDefined();
    expect(copyOf('u')).not.toBe(copyOf('v'));
    expect(r.stderr).toMatch(/stage 'work': 6 of 6 partition\(s\) ran clean \(u \d+, v \d+\)/);
    // The later stage's host got the first stage's journals with the copy.
    expect(r.stderr).toMatch(/[uv]: its copy is .*, \d+ journal\(s\) sent/);
    // Every task ran on a host (none here), once, and the journals that came back say so.
    const ran = readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8'));
    expect(ran).toHaveLength(12);
    expect(ran.every((c) => / 222[23]$/.test(c.trim()))).toBe(true);
    const tasks = await tasksOf(plan);
    expect(tasks).toHaveLength(13);
    expect(tasks.every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    const status = await cliAwait(['status', plan, '--json']);
    expect(JSON.parse(status.stdout).overall).toMatchObject({ total: 13, succeeded: 13 });
    // The logs came back too: the task's output names the user it ran as there.
    const log = await cliAwait(['logs', plan, 'work.3']);
    expect(log.stdout).toContain(TEST_USER);

    // A second run sends nothing that is done.
    const again = await runScript(synced, config).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("stage 'work': all 6 partition(s) already done; nothing to run");
    expect((await tasksOf(plan)).every((t) => t.attempts === 1)).toBe(true);
    expect(leftovers(plan)).toEqual([]);
  }, 120_000);
});

describe.runIf(up).each(['ssh2', 'openssh'])(
  '--runner ssh --host-sync: a host dropped mid-run (--ssh-client %s)',
  (client) => {
    const opened: PrivateSshd[] = [];
    afterEach(() => opened.splice(0).forEach((s) => s.drop()));

    it('what came back from it counts; what did not is run on the host left', async () => {
      const hx = await privateSshd(dir, { alias: 'hx', user: TEST_USER });
      opened.push(hx);
      await hx.start();
      const out = join(marks, `drop-${client}`);
      mkdirSync(out, { mode: 0o777 });
      chmodSync(out, 0o777);
      // Tasks 0-1 (partition 0) are quick; the others take a while.
      const plan = await h.makePlan(
        closed,
        8,
        `echo "$SSH_CONNECTION" >> ${out}/{{i}}.host; [ {{i}} -lt 2 ] || sleep 2`,
      );
      const config = h.sshConfig(
        dir,
        `sync-drop-${client}`,
        users(`Host hx\n  HostName 127.0.0.1\n  Port ${hx.port}\n  User ${TEST_USER}\n`),
        [hx.knownHosts],
      );
      const run = runScript(await script(plan, 4, '1/hx,1/u', client, ['--host-sync', copies]), config);
      // Once hx has finished partition 0 and runs another, drop it.
      const onHx = (i: number) => {
        try {
          return readFileSync(join(out, `${i}.host`), 'utf8').includes(` ${hx.port}`);
        } catch {
          return false;
        }
      };
      await until(() => onHx(1) && onHx(4), 60_000);
      expect(hx.drop().length).toBeGreaterThan(0);
      const tasks = await h.finishedAfterDrop(run, plan, 'hx');
      // Partition 0 ran on hx alone, once: its journals came back before the drop.
      expect(tasks.filter((t) => t.id === 'work.0' || t.id === 'work.1').map((t) => t.attempts)).toEqual([
        1, 1,
      ]);
      expect(readFileSync(join(out, '0.host'), 'utf8').trim().split('\n')).toHaveLength(1);
      expect(leftovers(plan)).toEqual([]);
    }, 120_000);
  },
);
