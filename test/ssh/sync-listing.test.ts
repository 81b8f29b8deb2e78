// --host-sync brings journals back by listing the copy's status directory there. A running
// partition's `.reserve` file is created at its journal's open and removed at its close; one listed
// and gone before it was measured failed the whole listing (CI: "cannot list …: wc: … .reserve: No
// such file or directory"). Here reserves come and go as fast as a shell can make them while the
// journals are pulled again and again.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSsh2 } from '../../src/remote/ssh2-transport.js';
import { pullStatus } from '../../src/remote/sync.js';
import { scratch } from '../helpers.js';
import { sshConfig, sshdUp } from './sshd.js';

const up = sshdUp();

describe.runIf(up)('pulling a copy’s journals while its partitions open and close them', () => {
  it('is never failed by a reserve file that vanished', async () => {
    const dir = scratch('batchplan-sync-listing-');
    const copy = join(dir, 'copy');
    const here = join(dir, 'here');
    const stage = join(copy, 'status', 'stage-0');
    mkdirSync(stage, { recursive: true });
    mkdirSync(here);
    const journal = '0-2.u.41.abc.jsonl';
    writeFileSync(join(stage, journal), '{"header":1}\n');
    // Many names, so that find lists some that are gone when wc reaches them.
    const churn = spawn(
      'bash',
      [
        '-c',
        'cd "$1"; while :; do for i in $(seq 40); do : > $i.reserve; done; rm -f ./*.reserve; done',
        'bash',
        stage,
      ],
      { stdio: 'ignore' },
    );
    process.env.BATCHPLAN_SSH_CONFIG = sshConfig(dir);
    const t = await openSsh2({ host: 'h1' }, { note: () => {} });
    try {
      for (let i = 0; i < 30; i++) {
        writeFileSync(join(stage, journal), `{"n":${i}}\n`, { flag: 'a' });
        await pullStatus(t, copy, here);
      }
    } finally {
      churn.kill();
      await t.close();
    }
    expect(readFileSync(join(here, 'status', 'stage-0', journal), 'utf8')).toBe(
      readFileSync(join(stage, journal), 'utf8'),
    );
  }, 60_000);
});
