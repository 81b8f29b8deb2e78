// File-system faults and damaged journals are typed errors naming the file (E_IO, E_PLAN_CORRUPT),
// never exit 70; a full disk loses no record; a process out of file descriptors retries launches
// instead of failing tasks.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { journalBase } from '../../src/status/journal-format.js';
import { BIN, cli, scratch } from '../helpers.js';
import { launcherModes, makePlan, MODES } from './helpers.js';

const dir = scratch();

function statusJson(plan: string) {
  const r = cli(['status', plan, '--json']);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

/** A plan with one finished run, and the path its next journal would take as a sibling. */
function ranPlan(name: string): { plan: string; stageDir: string; journal: string } {
  const plan = makePlan(dir, name, { stages: [{ name: 's', tasks: [{ cmd: 'true' }, { cmd: 'true' }] }] });
  expect(cli(['run-partition', plan, 's', '1', '0']).code).toBe(0);
  const stageDir = join(plan, 'status', 'stage-0');
  const journal = join(
    stageDir,
    readdirSync(stageDir).find((f) => f.endsWith('.jsonl'))!,
  );
  return { plan, stageDir, journal };
}

const strayName = (stageDir: string) => join(stageDir, `${journalBase(0, 2, 'elsewhere', 1, 1)}.jsonl`);

describe('damaged journals', () => {
  it('a bad header or a header of null is E_PLAN_CORRUPT naming the file', () => {
    for (const header of ['{"not":"a journal"}', 'null', '{{{']) {
      const { plan, stageDir } = ranPlan(`header-${header.length}`);
      const stray = strayName(stageDir);
      writeFileSync(stray, `${header}\n{"k":"s","i":0,"a":1,"t":1}\n`);
      const r = cli(['status', plan]);
      expect(r.code, header).toBe(9);
      expect(r.stderr).toContain(`[E_PLAN_CORRUPT]: ${stray} is not a batchplan journal`);
    }
  });

  it('a directory or a dangling symlink where a journal should be is E_PLAN_CORRUPT naming it', () => {
    const a = ranPlan('dir-journal');
    mkdirSync(strayName(a.stageDir));
    const r = cli(['status', a.plan]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`${strayName(a.stageDir)} should be a journal but is a directory`);
    const b = ranPlan('link-journal');
    symlinkSync(join(dir, 'nowhere'), strayName(b.stageDir));
    const s = cli(['status', b.plan]);
    expect(s.code).toBe(9);
    expect(s.stderr).toContain('should be a journal but is a symbolic link');
    // run-partition reads the same journals: the same error, before anything runs.
    expect(cli(['run-partition', b.plan, 's', '1', '0']).code).toBe(9);
  });

  it('a garbage line in the middle of a journal is counted and reported by status', () => {
    const { plan, journal } = ranPlan('garbage');
    const text = readFileSync(journal, 'utf8').split('\n');
    text.splice(2, 0, 'garbage, not json');
    writeFileSync(journal, text.join('\n'));
    const r = statusJson(plan);
    expect(r.code).toBe(0);
    expect(r.json.stages[0]).toMatchObject({ damagedLines: 1 });
    const plain = cli(['status', plan]);
    expect(plain.stderr).toMatch(/warning: stage s: 1 damaged journal line\(s\) skipped/);
    // A torn last line (a kill mid-write) is not damage.
    const torn = ranPlan('torn');
    appendFileSync(torn.journal, '{"k":"e","i":1,');
    expect(statusJson(torn.plan).json.stages[0].damagedLines).toBeUndefined();
  });

  it('an unknown state is an error naming the file and line, not "interrupted"', () => {
    const { plan, journal } = ranPlan('unknown-state');
    appendFileSync(journal, '{"k":"e","i":0,"a":9,"t":99999999999999,"st":"exploded","rc":0,"d":1}\n');
    const r = cli(['status', plan]);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(new RegExp(`${journal}:\\d+: unknown task state "exploded"`));
  });
});

describe('file-system errors name the file', () => {
  it('a results or status directory replaced by a symbolic link is refused (E_IO), nothing written there', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'batchplan-elsewhere-'));
    onTestFinished(() => rmSync(elsewhere, { recursive: true, force: true }));
    const plan = makePlan(dir, 'results-link', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    symlinkSync(elsewhere, join(plan, 'results'));
    const r = cli(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(14);
    expect(r.stderr).toContain(`${join(plan, 'results')} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
    const plan2 = makePlan(dir, 'status-link', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    symlinkSync(elsewhere, join(plan2, 'status'));
    const s = cli(['run-partition', plan2, 's', '1', '0']);
    expect(s.code).toBe(14);
    expect(s.stderr).toContain(`${join(plan2, 'status')} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('a file where the status directory should be is E_IO (ENOTDIR), not exit 70', () => {
    const plan = makePlan(dir, 'status-file', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    writeFileSync(join(plan, 'status'), 'oops');
    const r = cli(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(14);
    expect(r.stderr).toContain(join(plan, 'status'));
    expect(r.stderr).not.toContain('E_INTERNAL');
  });
});

/** A small tmpfs (root only); undefined where mounting is not allowed. */
function smallTmpfs(sizeKiB: number): string | undefined {
  const mnt = mkdtempSync(join(tmpdir(), 'batchplan-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', mnt]);
  if (r.status !== 0) {
    rmSync(mnt, { recursive: true, force: true });
    return undefined;
  }
  onTestFinished(() => {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  return mnt;
}

const canMount = process.getuid?.() === 0;

describe.runIf(canMount)('a full or read-only file system (a small tmpfs)', () => {
  it.each(MODES)(
    'disk full ($mode): end records kept, launching stops, exit E_IO naming the file; a re-run finishes',
    ({ mode, env }) => {
      const ledgerFile = join(dir, `full-${mode}.ledger`);
      const mnt = smallTmpfs(1024)!;
      expect(mnt).toBeDefined();
      const plan = makePlan(mnt, 'full', {
        stages: [
          {
            name: 's',
            template: 'head -c 100000 /dev/zero | tr "\\0" x; echo {{@index}} >> ' + ledgerFile,
            matrix: { k: { range: [0, 40] } },
          },
        ],
      });
      const r = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '2'], { env });
      expect(r.code).toBe(14);
      expect(r.stderr).toMatch(/\[E_IO\]: cannot write .*\.log: the file system is full \(ENOSPC\)/);
      expect(r.stderr).not.toContain('E_INTERNAL');
      const st = statusJson(plan);
      expect(st.code).toBe(0);
      const s = st.json.stages[0];
      // Every task that ran has its end record: none lost, none running; and launching stopped.
      expect(s.lost).toBe(0);
      expect(s.running).toBe(0);
      expect(s.succeeded).toBeGreaterThan(0);
      expect(s.pending).toBeGreaterThan(0);
      const ledger = readFileSync(ledgerFile, 'utf8').trim().split('\n');
      // Each success wrote the ledger; a task stopped by the halt may not have got that far.
      expect(ledger.length).toBe(s.succeeded);
      // No reserve file left behind, and journals are whole.
      expect(readdirSync(join(plan, 'status', 'stage-0')).some((f) => f.endsWith('.reserve'))).toBe(false);
      // Free the space (the logs) and run again: it finishes, and no success runs twice.
      for (const f of readdirSync(join(plan, 'status', 'stage-0')))
        if (f.endsWith('.log')) writeFileSync(join(plan, 'status', 'stage-0', f), '');
      rmSync(ledgerFile);
      const again = cli(['run-partition', plan, 's', '1', '0', '--nprocs', '2', '--log-limit', '100'], {
        env,
      });
      expect(again.code).toBe(0);
      const rerun = readFileSync(ledgerFile, 'utf8').trim().split('\n');
      expect(rerun.length).toBe(40 - s.succeeded);
    },
  );

  it('a read-only file system is E_IO naming the directory (EROFS)', () => {
    const mnt = smallTmpfs(512)!;
    const plan = makePlan(mnt, 'ro', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
    const r = cli(['run-partition', plan, 's', '1', '0']);
    expect(r.code).toBe(14);
    expect(r.stderr).toMatch(new RegExp(`cannot create ${join(plan, 'status')}: EROFS`));
    spawnSync('mount', ['-o', 'remount,rw', mnt]);
  });
});

describe.each(launcherModes())(
  'out of file descriptors ($launcher launcher, $mode)',
  ({ launcher, mode, env }) => {
    it('ulimit -n 64 with nprocs 40: launches back off and retry; no task fails, none is lost', () => {
      const plan = makePlan(dir, `emfile-${launcher}-${mode}`, {
        stages: [{ name: 's', template: 'sleep 0.2', matrix: { k: { range: [0, 80] } } }],
      });
      const r = spawnSync(
        'prlimit',
        [
          '--nofile=64',
          '--',
          process.execPath,
          BIN,
          'run-partition',
          plan,
          's',
          '1',
          '0',
          '--nprocs',
          '40',
          '--json',
        ],
        { encoding: 'utf8', env: { ...process.env, BATCHPLAN_LAUNCHER: launcher, ...env }, timeout: 120_000 },
      );
      expect(r.stderr).not.toContain('E_INTERNAL');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 80, failed: 0 });
      expect(statusJson(plan).json.stages[0]).toMatchObject({ succeeded: 80, failed: 0, lost: 0 });
      expect(existsSync(plan)).toBe(true);
    });
  },
);

it('names of this host are what the journal uses', () => expect(hostname().length).toBeGreaterThan(0));
