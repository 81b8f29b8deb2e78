// Case: status of a remote plan over SSH (the project's sshd on 127.0.0.1, scripts/sshd/up.sh), on a
// 100,000-task plan that has run. `status --remote` (one ssh2 connection: version check + the remote
// batchplan's `status`) against `ssh host batchplan status` (the system ssh, a new connection each)
// and local status; and the alternative we did not take, fetching the journals over SFTP: all of
// them (a first call), then only the bytes 1,000 more tasks would append (a later call). The remote
// status costs the same on every call: it carries the answer, not the journals.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BIN, NODE, ROOT, batchplan, fmt, interleaved, measure, scratchDir } from '../lib.js';
import { recordedPlan } from './fixtures.js';

export const name = 'remote';

const SSHD = process.env.BATCHPLAN_SSHD_DIR ?? join(process.env.TMPDIR ?? tmpdir(), 'batchplan-sshd');

export async function run(ctx) {
  const tasks = 100_000;
  if (!existsSync(join(SSHD, 'sshd.pid')))
    return [
      {
        case: 'status --remote',
        unit: 'ms',
        target: '-',
        pass: null,
        note: 'skipped: no sshd (bash scripts/sshd/up.sh)',
      },
    ];
  const plan = recordedPlan(ctx, tasks);
  const config = join(scratchDir('remote'), 'ssh_config');
  writeFileSync(
    config,
    `Host bench\n  HostName 127.0.0.1\n  Port 2222\n  User root\n  IdentityFile ${join(SSHD, 'id_ed25519')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(SSHD, 'known_hosts')}\n`,
  );
  const env = { BATCHPLAN_SSH_CONFIG: config, SSH_AUTH_SOCK: '' };
  const remoteBp = `${NODE} ${BIN}`;
  const journals = join(plan.dir, 'status', 'stage-0');
  const files = readdirSync(journals).map((f) => join(journals, f));
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  // What 1,000 more tasks append: their share of the journals' bytes, spread over the journals.
  const delta = Math.ceil((bytes * 1000) / tasks / files.length);
  const { openSsh2 } = await import(join(ROOT, 'dist', 'remote', 'ssh2-transport.js'));
  const timed = async (fn) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const res = await interleaved(ctx.runs, {
    remote: async () => {
      const m = await measure(
        batchplan('status', plan.dir, '--remote', 'bench', '--remote-batchplan', remoteBp),
        {
          env,
          stdout: 'pipe',
        },
      );
      if (!m.stdout.includes('succeeded')) throw new Error(`status --remote printed: ${m.stdout}`);
      return m.ms;
    },
    ssh: async () =>
      (
        await measure(
          ['ssh', '-F', config, '-o', 'BatchMode=yes', 'bench', `${remoteBp} status '${plan.dir}'`],
          { env },
        )
      ).ms,
    local: async () => (await measure(batchplan('status', plan.dir))).ms,
    fetchAll: async () => {
      process.env.BATCHPLAN_SSH_CONFIG = config;
      const t = await openSsh2({ host: 'bench' });
      try {
        return await timed(async () => {
          for (const f of await t.list(journals)) await t.readFile(join(journals, f));
        });
      } finally {
        await t.close();
      }
    },
    fetchDelta: async () => {
      const t = await openSsh2({ host: 'bench' });
      try {
        return await timed(async () => {
          for (const f of files) await t.readFrom(f, Math.max(0, statSync(f).size - delta));
        });
      } finally {
        await t.close();
      }
    },
  });
  ctx.log(
    `status --remote ${fmt.ms(res.remote.median)}, ssh host batchplan status ${fmt.ms(res.ssh.median)}, local ${fmt.ms(res.local.median)}; SFTP all journals (${fmt.n(bytes)} bytes) ${fmt.ms(res.fetchAll.median)}, the 1,000-task delta ${fmt.ms(res.fetchDelta.median)}`,
  );
  const row = (what, m, base, baseName, note) => ({
    case: what,
    unit: 'ms',
    batchplan: m,
    baseline: { name: baseName, ...base },
    ratio: m.median / base.median,
    target: '-',
    pass: null,
    ...(note ? { note } : {}),
  });
  return [
    row(
      `status --remote, ${fmt.n(tasks)} recorded tasks`,
      res.remote,
      res.ssh,
      'ssh host batchplan status',
      'one ssh2 connection; the remote batchplan checks the version itself (BATCHPLAN_EXPECT_VERSION); same cost on every call',
    ),
    row(`status --remote vs local status, ${fmt.n(tasks)} tasks`, res.remote, res.local, 'local status'),
    row(
      `SFTP: every journal (${fmt.n(bytes)} bytes), the road not taken`,
      res.fetchAll,
      res.remote,
      'status --remote',
      'a first call that copies the journals, connection included',
    ),
    row(
      'SFTP: the bytes 1,000 more tasks append',
      res.fetchDelta,
      res.remote,
      'status --remote',
      'a later call reading only what was appended, connection included; status must then still be computed here',
    ),
  ];
}
