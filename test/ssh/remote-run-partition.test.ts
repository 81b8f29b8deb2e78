// run-partition --remote (one partition run there from here, its output streamed back, Ctrl-C
// stopping it there: interrupted, resumable) and report --remote (the HTML page of a plan there,
// written here), with both clients. BATCHPLAN_REMOTE alone never sends a run-partition away.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliAsync, cliAwait, scratch } from '../helpers.js';
import { until } from './runner-helpers.js';
import { REMOTE_BATCHPLAN, sshConfig, sshdUp, sshEnv } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-rp-');
chmodSync(dir, 0o755);
const SPEC = join(dir, 'spec.yaml');
writeFileSync(
  SPEC,
  `stages:
  - name: quick
    matrix: { i: { range: [0, 3] } }
    template: "echo out {{i}}"
  - name: slow
    after: [quick]
    tasks:
      - { id: long, cmd: "echo $$ > ${dir}/long.$BATCHPLAN_RUN.pid; exec sleep 120" }
`,
);
const reportTemps = () =>
  readdirSync(process.env.TMPDIR ?? tmpdir()).filter((f) => f.startsWith('batchplan-report.'));

describe.runIf(up).each(['ssh2', 'openssh'])('run-partition and report --remote (--ssh %s)', (client) => {
  const env = sshEnv(sshConfig(dir));
  const r = ['--remote', 'h1', '--remote-dir', dir, '--remote-batchplan', REMOTE_BATCHPLAN, '--ssh', client];
  const bp = (args: string[]) => cliAwait([...args, ...r], { env });

  it('runs a partition there, and writes the report of the plan there here', async () => {
    const plan = `rp ${client} 'x'.plan`;
    expect((await bp(['plan', SPEC, '-o', plan])).code).toBe(0);
    const ran = await bp(['run-partition', plan, 'quick', '1', '0']);
    expect(ran.code, ran.stderr).toBe(0);
    const tasks = JSON.parse((await bp(['tasks', plan, '--json'])).stdout) as { id: string; state: string }[];
    expect(tasks.filter((t) => t.state === 'succeeded').map((t) => t.id)).toEqual([
      'quick.0',
      'quick.1',
      'quick.2',
    ]);

    const before = reportTemps().length;
    const out = join(dir, `here-${client}.html`);
    const rep = await bp(['report', plan, '-o', out, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ report: out, tasks: 4, attempts: 3 });
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('quick');
    // Nothing left beside the plan there, and no temp directory.
    expect(existsSync(join(dir, plan, 'report.html'))).toBe(false);
    expect(reportTemps().length).toBe(before);
    // A plan that is not there: the remote batchplan's own error and exit code.
    expect((await bp(['report', 'nope.plan', '-o', out])).code).toBe(7);
  }, 90_000);

  it('Ctrl-C here stops the partition there: interrupted, nothing left running', async () => {
    const plan = `rp-int ${client}.plan`;
    expect((await bp(['plan', SPEC, '-o', plan])).code).toBe(0);
    // The other client's run left its own: wait for a new one.
    const old = new Set(readdirSync(dir));
    const run = cliAsync(['run-partition', plan, 'slow', '1', '0', ...r], { env });
    const pidFile = () =>
      readdirSync(dir).find((f) => f.startsWith('long.') && f.endsWith('.pid') && !old.has(f));
    await until(() => !!pidFile() && readFileSync(join(dir, pidFile()!), 'utf8').endsWith('\n'), 60_000);
    const pid = Number(readFileSync(join(dir, pidFile()!), 'utf8'));
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    const tasks = JSON.parse((await bp(['tasks', plan, '--json'])).stdout) as { id: string; state: string }[];
    expect(tasks.find((t) => t.id === 'long')?.state).toBe('interrupted');
    await until(() => !existsSync(`/proc/${pid}`), 20_000, `the task (pid ${pid}) still runs there`);
  }, 90_000);
});

describe.runIf(up)('BATCHPLAN_REMOTE', () => {
  it('never sends a run-partition away (it runs where a job or a host starts it)', async () => {
    const plan = join(dir, 'local.plan');
    expect((await cliAwait(['plan', SPEC, '-o', plan])).code).toBe(0);
    const r = await cliAwait(['run-partition', plan, 'quick', '1', '0'], {
      env: { BATCHPLAN_REMOTE: 'nobody@127.0.0.1:9' },
    });
    expect(r.code, r.stderr).toBe(0);
  });
});
