// A full quota (EDQUOT), as a user over their quota on a shared file system meets it: a btrfs
// subvolume with a qgroup limit on a loop device (root only; this kernel has no CONFIG_QUOTA, so no
// ext4/xfs user quotas; btrfs's qgroups are its own). The same promise as for ENOSPC (io.test.ts):
// end records kept, launching stops, E_IO naming the file; a re-run after raising the limit finishes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, engineAvailable, scratch } from '../helpers.js';
import { makePlan } from './helpers.js';

const dir = scratch('batchplan-quota-');
const root = process.getuid?.() === 0;
const sh = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

/** A btrfs subvolume limited to `limit` (qgroup), mounted from a sparse image; undefined where not allowed. */
function quotaVolume(limit: string): { sv: string; setLimit: (l: string) => void } | undefined {
  const work = mkdtempSync(join(tmpdir(), 'batchplan-btrfs-'));
  const img = join(work, 'fs.img');
  const mnt = join(work, 'mnt');
  writeFileSync(img, '');
  truncateSync(img, 160 * 1024 * 1024); // sparse: takes what is written
  const cleanup = () => {
    sh('umount', mnt);
    rmSync(work, { recursive: true, force: true });
  };
  sh('mkdir', mnt);
  if (sh('mkfs.btrfs', '-q', img).status !== 0 || sh('mount', '-o', 'loop', img, mnt).status !== 0) {
    cleanup();
    return undefined;
  }
  onTestFinished(cleanup); // inside a test: afterAll would never run
  const sv = join(mnt, 'sv');
  expect(sh('btrfs', 'quota', 'enable', mnt).status).toBe(0);
  expect(sh('btrfs', 'subvolume', 'create', sv).status).toBe(0);
  const setLimit = (l: string) => expect(sh('btrfs', 'qgroup', 'limit', l, sv).status).toBe(0);
  setLimit(limit);
  return { sv, setLimit };
}

const usable = root && engineAvailable('mkfs.btrfs');

describe.runIf(usable)('over quota (EDQUOT: a btrfs qgroup limit)', () => {
  it('end records kept, launching stops, exit E_IO naming the file; a re-run after raising the limit finishes', () => {
    const vol = quotaVolume('3M');
    if (!vol && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
      throw new Error('cannot mount a btrfs loop image here');
    if (!vol) return;
    const ledgerFile = join(dir, 'quota.ledger');
    const plan = makePlan(vol.sv, 'q', {
      stages: [
        {
          name: 's',
          template: 'head -c 200000 /dev/zero | tr "\\0" x; echo {{@index}} >> ' + ledgerFile,
          matrix: { k: { range: [0, 40] } },
        },
      ],
    });
    const r = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '2']);
    expect(r.code).toBe(14);
    expect(r.stderr).toMatch(/\[E_IO\]: cannot write .*: the file system is full \(EDQUOT\)/);
    expect(r.stderr).not.toContain('E_INTERNAL');
    const st = JSON.parse(cli(['status', plan, '--json']).stdout);
    const s = st.stages[0];
    expect(s.lost).toBe(0);
    expect(s.running).toBe(0);
    expect(s.succeeded).toBeGreaterThan(0);
    expect(s.pending).toBeGreaterThan(0);
    expect(readFileSync(ledgerFile, 'utf8').trim().split('\n').length).toBe(s.succeeded);
    expect(readdirSync(join(plan, 'status', 'stage-0')).some((f) => f.endsWith('.reserve'))).toBe(false);
    vol.setLimit('none');
    rmSync(ledgerFile);
    const again = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '2', '--log-limit', '100']);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(ledgerFile, 'utf8').trim().split('\n').length).toBe(40 - s.succeeded);
  });
});
