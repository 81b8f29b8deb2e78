// Case: --runner ssh against GNU parallel --sshlogin over the same `true` tasks and the same two
// "hosts" (the project's sshd on 127.0.0.1:2222 and 127.0.0.2:2223, scripts/sshd/up.sh), 4 tasks at
// once on each side: batchplan 2 partitions per host (--nprocs 1), parallel -S 2/a,2/b with its
// --controlmaster (one master connection per host, its fastest form). batchplan sends one command
// per partition over one connection per host; parallel one ssh session per task.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, NODE, batchplan, fmt, interleaved, measure, scratchDir, runSync } from '../lib.js';

export const name = 'ssh-runner';

const SSHD = process.env.BATCHPLAN_SSHD_DIR ?? join(process.env.TMPDIR ?? tmpdir(), 'batchplan-sshd');

export async function run(ctx) {
  // The issue's size is 10,000 (BATCHPLAN_BENCH_SSH_TASKS=10000, about an hour: parallel pays
  // ~0.4-1.7 s per task and slot here); the full bench stays within its 15 minutes with 1,000.
  const tasks = Number(process.env.BATCHPLAN_BENCH_SSH_TASKS) || (ctx.quick ? 400 : 1000);
  const skip = (note) => [{ case: '--runner ssh', unit: 'ms', target: '-', pass: null, note }];
  if (!existsSync(join(SSHD, 'sshd.pid'))) return skip('skipped: no sshd (bash scripts/sshd/up.sh)');
  if (runSync(['parallel', '--version'], { allowFail: true }).status !== 0)
    return skip('skipped: no GNU parallel');
  const dir = scratchDir('ssh-runner');
  const config = join(dir, 'ssh_config');
  writeFileSync(
    config,
    `Host a\n  HostName 127.0.0.1\n  Port 2222\nHost b\n  HostName 127.0.0.2\n  Port 2223\nHost *\n  User root\n  IdentityFile ${join(SSHD, 'id_ed25519')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(SSHD, 'known_hosts')}\n  BatchMode yes\n`,
  );
  const spec = join(dir, 'spec.yaml');
  writeFileSync(
    spec,
    `stages:\n  - name: s\n    matrix: { i: { range: [0, ${tasks}] } }\n    template: "true"\n`,
  );
  const env = { BATCHPLAN_SSH_CONFIG: config, SSH_AUTH_SOCK: '' };
  let round = 0;
  const res = await interleaved(
    ctx.runs,
    {
      batchplan: async () => {
        const plan = join(dir, `r${++round}.plan`);
        await measure(batchplan('plan', spec, '-o', plan));
        const script = join(dir, `r${round}.sh`);
        const g = await measure(
          batchplan(
            ...['generate-script', plan, '4', '--runner', 'ssh', '--hosts', '2/a,2/b', '--nprocs', '1'],
            ...['--host-batchplan', `${NODE} ${BIN}`, '-o', script],
          ),
        );
        if (g.code !== 0) throw new Error(`generate-script --runner ssh: ${g.stderr}`);
        const m = await measure(['bash', script], { env });
        if (m.code !== 0) throw new Error(`--runner ssh exited ${m.code}: ${m.stderr}`);
        return m.ms;
      },
      parallel: async () => {
        const m = await measure(
          [
            'bash',
            '-c',
            `seq ${tasks} | parallel --will-cite --joblog ${join(dir, `parallel-${round}.log`)} --controlmaster --ssh 'ssh -F ${config}' -S 2/a,2/b true`,
          ],
          { env },
        );
        if (m.code !== 0) throw new Error(`parallel --sshlogin exited ${m.code}: ${m.stderr}`);
        return m.ms;
      },
    },
    { deadline: ctx.deadline },
  );
  ctx.log(
    `--runner ssh ${fmt.ms(res.batchplan.median)}, parallel --sshlogin ${fmt.ms(res.parallel.median)} (${tasks} true tasks, 2 hosts x 2)`,
  );
  return [
    {
      case: `--runner ssh, ${fmt.n(tasks)} true tasks over 2 hosts (4 at once)`,
      unit: 'ms',
      batchplan: res.batchplan,
      baseline: { name: 'parallel --sshlogin --controlmaster', ...res.parallel },
      ratio: res.batchplan.median / res.parallel.median,
      target: '-',
      pass: null,
      note: 'batchplan: one connection per host, one command per partition; parallel: one ssh session per task',
    },
  ];
}
