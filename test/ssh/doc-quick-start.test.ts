// docs/remote.md's quick start, run as written: its ```sh remote block (not a doctest block: it
// needs an SSH host and a scheduler), command by command in one bash session, against a private
// sshd of the test standing in for a cluster's login node (its own home and $SCRATCH, as a
// centre's accounts have) and the local Slurm. Only the destination changes: root@ for me@, and an
// ssh_config that sends login.cluster.org to that sshd. Then what the page says happened.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { codeBlocks, docCommands, runDocCommands, type DocCommand } from '../docs/doctest.js';
import { engineAvailable, ROOT, scratch, slurmUp } from '../helpers.js';
import { privateSshd, type PrivateSshd } from './private-sshd.js';
import { SSHD_DIR, sshdUp } from './sshd.js';

const page = readFileSync(join(ROOT, 'docs', 'remote.md'), 'utf8');
const blocks = codeBlocks(page).filter(
  (b) => b.lang === 'sh' && /^```sh remote\b/.test(page.split('\n')[b.line - 2]!),
);
const HOST = 'login.cluster.org';

describe('docs/remote.md', () => {
  it('has one quick start block, naming me@login.cluster.org', () => {
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.body).toContain(`me@${HOST}`);
  });
});

const up = sshdUp() && slurmUp() && engineAvailable('jq');
const dir = scratch('batchplan-ssh-quick-');

describe.runIf(up)('docs/remote.md quick start, on a loopback login node and the local Slurm', () => {
  let sshd: PrivateSshd | undefined;
  afterAll(() => sshd?.drop());

  it('runs as written: setup, plan there, submit, wait (2 tasks fail), tasks, logs, cancel', async () => {
    // The login node's account: a home and a $SCRATCH of its own, set for every session (and an
    // sftp server the forced command can start, instead of the built-in one).
    const home = join(dir, 'home');
    const scratchDir = join(dir, 'scratch');
    mkdirSync(home);
    mkdirSync(scratchDir);
    const login = join(dir, 'login-node.sh');
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    writeFileSync(
      login,
      `#!/bin/bash\nexport HOME=${q(home)} SCRATCH=${q(scratchDir)}\ncd "$HOME" || exit 1\nexec /bin/bash -c "$SSH_ORIGINAL_COMMAND"\n`,
    );
    chmodSync(login, 0o755);
    sshd = await privateSshd(dir, {
      alias: 'hlogin',
      config: [`ForceCommand ${login}`, 'Subsystem sftp /usr/lib/openssh/sftp-server'],
    });
    await sshd.start();
    const config = join(dir, 'ssh_config.quick');
    writeFileSync(
      config,
      `Host ${HOST}\n  HostName ${sshd.addr}\n  Port ${sshd.port}\n  IdentityFile ${join(SSHD_DIR, 'id_ed25519')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${sshd.knownHosts}\n`,
    );

    const block = blocks[0]!;
    const shown = docCommands('```sh doctest\n' + block.body + '\n```\n').map((c) => ({
      ...c,
      cmd: c.cmd.replaceAll(`me@${HOST}`, `root@${HOST}`),
      line: c.line + block.line - 1,
    }));
    const env: DocCommand = {
      cmd: `export BATCHPLAN_SSH_CONFIG=${q(config)} SSH_AUTH_SOCK= BATCHPLAN_REMOTE=`,
      exit: 0,
      line: 0,
    };
    const runs = (await runDocCommands([env, ...shown])).slice(1);
    for (const { command, code, output } of runs)
      expect(code, `docs/remote.md:${command.line}: ${command.cmd}\n${output}`).toBe(command.exit);
    const out = (text: string) => runs.find((r) => r.command.cmd.includes(text))!.output;

    // setup installed this very batchplan in the login node's home.
    expect(readdirSync(join(home, '.batchplan'))).toEqual([VERSION]);
    expect(existsSync(join(home, '.batchplan', VERSION, 'bin', 'batchplan.js'))).toBe(true);
    // The plan was written there, under $SCRATCH as that shell expanded it.
    const plan = join(scratchDir, 'plans', 'sweep.plan');
    expect(existsSync(join(plan, 'plan.json'))).toBe(true);
    expect(out('batchplan plan')).toContain(plan);
    expect(out('batchplan submit')).toMatch(
      /submitted 2 job\(s\) \(\d+, \d+\) for extract: 36 partition\(s\), merge: 1 partition\(s\)/,
    );
    expect(out('batchplan wait')).toMatch(/overall: 34\/37 succeeded .*2 failed/);
    expect(out('batchplan wait')).toMatch(/2 partitions FAILED .*: (29, 17|17, 29)/);
    expect(out('--state failed')).toMatch(/extract\.17 .*failed/);
    expect(out('--state failed')).toMatch(/extract\.29 .*failed/);
    expect(out('--state failed')).toContain('bad input for 9c');
    expect(out('batchplan logs')).toContain('bad input for 5c');
    // Nothing of that plan is left in the queue (this Slurm drops a job whose dependency failed,
    // so cancel may find nothing left to stop).
    expect(out('batchplan cancel')).toMatch(
      /nothing of this plan is queued or running|cancelled job\(s\) \d+/,
    );
    const record = readdirSync(join(plan, 'submissions'))[0]!;
    const ids = (JSON.parse(readFileSync(join(plan, 'submissions', record), 'utf8')) as { jobIds: string[] })
      .jobIds;
    const queued = spawnSync('squeue', ['-h', '-o', '%A', '-j', ids.join(',')], { encoding: 'utf8' });
    expect(queued.stdout.trim(), out('batchplan cancel')).toBe('');
  }, 300_000);
});
