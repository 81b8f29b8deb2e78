// --runner ssh against the project's sshd: several "hosts" (loopback addresses and ports, and `:`
// for this machine) with different slot counts; a host whose sshd is killed mid-run; Ctrl-C of
// the script; hosts that cannot be reached or cannot see the plan. The plan directory is at the
// same path everywhere (these hosts are all this machine: the shared file system of a lab).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliAwait, scratch } from '../helpers.js';
import { privateSshd, type PrivateSshd } from './private-sshd.js';
import * as h from './runner-helpers.js';
import { count, leftovers, runScript, script, tasksOf, until } from './runner-helpers.js';
import { sshdUp, TEST_USER } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-runner-');
chmodSync(dir, 0o755);

describe.runIf(up).each(['ssh2', 'openssh'])('--runner ssh (--ssh-client %s)', (client) => {
  it('deals the partitions across hosts by their slots; every task runs once; status afterwards', async () => {
    const out = join(dir, `marks-${client}`);
    mkdirSync(out);
    // Each task notes which host ran it (sshd's SSH_CONNECTION: server address and port), and when.
    const plan = await h.makePlan(
      dir,
      28,
      `echo "\${SSH_CONNECTION:-here}" > ${out}/{{i}}.host; date +%s.%N > ${out}/{{i}}.start; sleep 0.4; date +%s.%N > ${out}/{{i}}.end`,
    );
    const slots: Record<string, number> = {
      '127.0.0.1 2222': 2,
      '127.0.0.2 2223': 1,
      '127.0.0.3 2222': 3,
      here: 1,
    };
    const hosts = join(dir, `hosts-${client}.txt`);
    writeFileSync(hosts, '# three hosts and this machine\n2/a\n1/b\n3/c\n:\n');
    const r = await runScript(await script(plan, 14, hosts, client), h.sshConfig(dir, client)).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /stage 'work': 14 of 14 partition\(s\) ran clean \(a \d+, b \d+, c \d+, : \d+\)/,
    );
    const tasks = await tasksOf(plan);
    expect(tasks).toHaveLength(29);
    expect(tasks.every((t) => t.state === 'succeeded' && t.attempts === 1)).toBe(true);
    // Per host: never more partitions at once than its slots (nprocs 1: one task per partition).
    const byHost = new Map<string, [number, number][]>();
    for (let i = 0; i < 28; i++) {
      const conn = readFileSync(join(out, `${i}.host`), 'utf8').trim();
      const host = conn === 'here' ? 'here' : conn.split(' ').slice(2).join(' ');
      const span: [number, number] = [
        Number(readFileSync(join(out, `${i}.start`), 'utf8')),
        Number(readFileSync(join(out, `${i}.end`), 'utf8')),
      ];
      byHost.set(host, [...(byHost.get(host) ?? []), span]);
    }
    expect([...byHost.keys()].sort()).toEqual(Object.keys(slots).sort());
    for (const [host, spans] of byHost) {
      const most = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
      expect(most, host).toBeLessThanOrEqual(slots[host]!);
    }
    const status = await cliAwait(['status', plan, '--json']);
    expect(JSON.parse(status.stdout).overall).toMatchObject({ total: 29, succeeded: 29 });
    expect(leftovers(plan)).toEqual([]);
  });

  it('Ctrl-C stops every remote run-partition (interrupted, resumable), no process left; a rerun finishes', async () => {
    const out = join(dir, `started-${client}`);
    mkdirSync(out);
    const flag = join(dir, `quick-${client}`);
    // Long until the flag exists, so that the rerun is quick.
    const plan = await h.makePlan(dir, 4, `touch ${out}/{{i}}.started; test -e ${flag} || sleep 60`);
    const hosts = '2/a,1/b,1/c';
    const run = runScript(await script(plan, 4, hosts, client), h.sshConfig(dir, `${client}-int`));
    await until(() => count(out, '.started') === 4);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain("SIGINT: stopping 4 partition(s) of stage 'work'");
    const tasks = await tasksOf(plan);
    expect(tasks.filter((t) => t.id !== 'last').map((t) => t.state)).toEqual(Array(4).fill('interrupted'));
    expect(leftovers(plan)).toEqual([]);
    writeFileSync(flag, '');
    const again = await runScript(await script(plan, 4, hosts, client), h.sshConfig(dir, `${client}-int`))
      .done;
    expect(again.code, again.stderr).toBe(0);
    expect((await tasksOf(plan)).every((t) => t.state === 'succeeded')).toBe(true);
  });
});

describe.runIf(up)('--runner ssh: faults', () => {
  const opened: PrivateSshd[] = [];
  afterEach(() => opened.splice(0).forEach((s) => s.drop()));
  /** A private sshd named `alias`, started, and an ssh_config naming it beside a, b and c. */
  const privateHost = async (alias: string) => {
    const sshd = await privateSshd(dir, { alias });
    opened.push(sshd);
    await sshd.start();
    const config = h.sshConfig(dir, alias, `Host ${alias}\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`, [
      sshd.knownHosts,
    ]);
    return { sshd, config };
  };

  it('a host whose sshd is killed mid-run: its partitions are finished on the hosts left, no process left', async () => {
    const { sshd: hx, config } = await privateHost('hx');
    const out = join(dir, 'marks-drop');
    mkdirSync(out);
    const plan = await h.makePlan(dir, 12, `echo "$SSH_CONNECTION" > ${out}/{{i}}.host; sleep 1.5`);
    const run = runScript(await script(plan, 6, '2/a,2/hx'), config);
    // Once hx runs two partitions (their tasks name hx's port), kill its sshd and every session.
    const onHx = () =>
      readdirSync(out).filter((f) => readFileSync(join(out, f), 'utf8').includes(` ${hx.port}`)).length;
    await until(() => onHx() >= 2);
    expect(hx.drop().length).toBeGreaterThan(0);
    const tasks = await h.finishedAfterDrop(run, plan, 'hx');
    // The partitions hx had were stopped there (their stdin, the connection, ended) and redone on a.
    expect(tasks.some((t) => t.attempts > 1)).toBe(true);
    expect(leftovers(plan)).toEqual([]);
  }, 120_000);

  it('a second run after a partial one: done partitions are skipped, those placed nowhere run now, a down host is reported', async () => {
    const { sshd: hx, config } = await privateHost('hy');
    const out = join(dir, 'marks-second');
    mkdirSync(out);
    const flag = join(dir, 'quick-second');
    // Tasks 0 and 1 are quick; the others wait for the flag (the second run sets it).
    const plan = await h.makePlan(
      dir,
      6,
      `echo "$SSH_CONNECTION" > ${out}/{{i}}.host; [ {{i}} -lt 2 ] || test -e ${flag} || sleep 60`,
    );
    // First run on hy alone, one partition at a time: 0 and 1 end, 2 runs when hy goes away, so
    // that 2 is lost and 3-5 are placed nowhere.
    const first = runScript(await script(plan, 6, '1/hy'), config);
    await until(() => count(out, '.host') === 3);
    hx.drop();
    const r1 = await first.done;
    expect(r1.code, r1.stderr).toBe(16);
    expect(r1.stderr).toContain("partition(s) 2-5 of stage 'work' did not run: their hosts went away");
    const before = await tasksOf(plan);
    expect(before.slice(0, 2).map((t) => t.state)).toEqual(['succeeded', 'succeeded']);

    // Second run with hy still down and a: hy is reported, 0 and 1 are not sent anywhere again,
    // 2-5 run on a.
    writeFileSync(flag, '');
    for (const i of [0, 1, 2]) rmSync(join(out, `${i}.host`));
    const r2 = await runScript(await script(plan, 6, '1/a,1/hy'), config).done;
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/hy left out: cannot reach/);
    expect(r2.stderr).toContain("stage 'work': partition(s) 0-1 already done, skipped; running 4 of 6");
    expect(r2.stderr).toMatch(/stage 'work': 4 of 4 partition\(s\) ran clean \(a 4\)/);
    const after = await tasksOf(plan);
    expect(after.every((t) => t.state === 'succeeded')).toBe(true);
    expect(after.slice(0, 2).map((t) => t.attempts)).toEqual([1, 1]);
    expect(readdirSync(out).filter((f) => /^[01]\./.test(f))).toEqual([]);
    for (const i of [2, 3, 4, 5]) expect(readFileSync(join(out, `${i}.host`), 'utf8')).toMatch(/ 2222\n$/);
    expect(leftovers(plan)).toEqual([]);
  }, 120_000);

  it.each(['ssh2', 'openssh'])(
    '--host-ssh-config and --host-accept-new-key reach run-hosts (%s): an unknown key is refused, then recorded',
    async (client) => {
      const plan = await h.makePlan(dir, 2, 'true');
      // A config of its own whose known_hosts starts empty; the environment's config names nothing.
      const known = join(dir, `known_hosts.new-${client}`);
      writeFileSync(known, '');
      const config = h.sshConfig(dir, `new-${client}`);
      writeFileSync(
        config,
        readFileSync(config, 'utf8').replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${known}`),
      );
      const flags = ['--host-ssh-config', config];
      const env = join(dir, 'no-such-config');
      const refused = await runScript(await script(plan, 2, '1/a,1/b', client, flags), env).done;
      expect(refused.code, refused.stderr).toBe(18);
      expect(readFileSync(known, 'utf8')).toBe('');
      const accepted = await runScript(
        await script(plan, 2, '1/a,1/b', client, [...flags, '--host-accept-new-key']),
        env,
      ).done;
      expect(accepted.code, accepted.stderr).toBe(0);
      // One key per host, plain or hashed (as each client writes them).
      expect(readFileSync(known, 'utf8').match(/^(\[127\.0\.0\.[12]\]:222[23]|\|1\|)/gm)).toHaveLength(2);
      expect((await tasksOf(plan)).every((t) => t.state === 'succeeded')).toBe(true);
    },
  );

  it('a host that cannot be reached is left out; one that cannot see the plan stops the run before anything runs', async () => {
    const plan = await h.makePlan(dir, 2, 'true');
    const config = h.sshConfig(dir, 'faults', `Host nobody\n  HostName 127.0.0.1\n  Port 9\n`);
    const left = await runScript(await script(plan, 2, '1/a,1/nobody'), config).done;
    expect(left.code, left.stderr).toBe(0);
    expect(left.stderr).toMatch(/nobody left out: cannot reach/);

    // The test user cannot read a plan under a directory only root may enter.
    const closed = join(dir, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const spec = join(dir, 'closed.yaml');
    writeFileSync(spec, 'stages:\n  - name: s\n    tasks:\n      - { id: t, cmd: "true" }\n');
    const hidden = join(closed, 'hidden.plan');
    expect((await cliAwait(['plan', spec, '-o', hidden])).code).toBe(0);
    const user = `Host u\n  HostName 127.0.0.2\n  Port 2223\n  User ${TEST_USER}\n`;
    const r = await runScript(await script(hidden, 1, `1/a,1/u`), h.sshConfig(dir, 'unseen', user)).done;
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`u cannot see the plan at ${hidden}`);
    expect(existsSync(join(hidden, 'status')) && readdirSync(join(hidden, 'status')).length).toBeFalsy();
  });
});
