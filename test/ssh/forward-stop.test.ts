// Ctrl-C of a forwarded --remote command stops it there at once (sshd sends no hangup to a session
// without a terminal: before, it ran on until it next wrote), with both clients. The remote
// "batchplan" here answers --version as this one and then sleeps, noting its pid.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliAsync, scratch } from '../helpers.js';
import { until } from './runner-helpers.js';
import { sshConfig, sshdUp, sshEnv } from './sshd.js';

const up = sshdUp();
const dir = scratch('batchplan-ssh-forward-');
chmodSync(dir, 0o755);

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

describe.runIf(up).each(['ssh2', 'openssh'])('a forwarded --remote command (--ssh %s)', (client) => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s here stops it there at once; exit 128+n',
    async (sig) => {
      const pidFile = join(dir, `slow-${client}-${sig}.pid`);
      const slow = join(dir, `slow-${client}-${sig}.sh`);
      writeFileSync(
        slow,
        `#!/bin/sh\ncase "$1" in --version) exec ${process.execPath} ${BIN} --version;; esac\necho $$ > ${pidFile}\nexec sleep 120\n`,
        { mode: 0o755 },
      );
      const run = cliAsync(
        ['status', join(dir, 'any.plan'), '--remote', 'h1', '--remote-batchplan', slow, '--ssh', client],
        { env: sshEnv(sshConfig(dir)) },
      );
      await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 60_000);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(pid)).toBe(true);
      run.child.kill(sig);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(sig === 'SIGINT' ? 130 : 143);
      // Gone there within seconds (it would sleep two minutes).
      await until(() => !alive(pid), 20_000, `the remote command (pid ${pid}) still runs`);
    },
    90_000,
  );
});
