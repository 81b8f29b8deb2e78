// The local Transport's plan-directory file access, as wait/cancel/status use it.
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancelPlan } from '../../src/submit/cancel.js';
import { submissionsOf } from '../../src/submit/submissions.js';
import { localTransport as t } from '../../src/submit/transport.js';
import { waitForPlan } from '../../src/submit/wait.js';
import { scratch } from '../helpers.js';

describe('local transport', () => {
  const dir = scratch();

  it('reads what a journal appended since an offset, whole files, and lists directories', async () => {
    const f = join(dir, 'journal');
    writeFileSync(f, 'abc\n');
    expect((await t.readFrom(f, 0)).toString()).toBe('abc\n');
    appendFileSync(f, 'def\n');
    expect((await t.readFrom(f, 4)).toString()).toBe('def\n');
    expect((await t.readFrom(f, 8)).length).toBe(0);
    expect((await t.readFile(f)).toString()).toBe('abc\ndef\n');
    expect(await t.list(join(dir, 'nope'))).toBeUndefined();
    await expect(t.readFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes whole files through a temp name, leaving no temp behind', async () => {
    const sub = join(dir, 'a b', "c'd$e");
    await t.mkdir(sub);
    await t.writeFile(join(sub, 'x.json'), '{"a":1}\n', 0o600);
    await t.writeFile(join(sub, 'x.json'), '{"a":2}\n');
    expect(readdirSync(sub)).toEqual(['x.json']);
    expect(await t.list(sub)).toEqual(['x.json']);
    expect((await t.readFile(join(sub, 'x.json'))).toString()).toBe('{"a":2}\n');
  });

  it('runs argv without a shell and reports a missing command as exit 127', async () => {
    const r = await t.run(['printf', '%s', 'a b; $HOME']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'a b; $HOME' });
    expect((await t.run(['no-such-command-xyz'])).exitCode).toBe(127);
    expect(await t.has('sh')).toBe(true);
    expect(await t.has('no-such-command-xyz')).toBe(false);
  });
});

describe('submission records through a transport', () => {
  const plan = scratch();

  it('wait and cancel refuse a plan that never submitted, saying what to do', async () => {
    await expect(waitForPlan(plan)).rejects.toMatchObject({ code: 'E_NOT_SUBMITTED' });
    await expect(cancelPlan(plan)).rejects.toThrow(/Submit it first|no recorded submission/);
  });

  it('reads records oldest first, skipping temp files, and refuses a damaged one', async () => {
    const subs = join(plan, 'submissions');
    mkdirSync(subs);
    const rec = (jobId: string) =>
      JSON.stringify({
        format: 'batchplan-submission',
        version: 1,
        runner: 'slurm',
        layout: 'arrays',
        n: 2,
        submittedAt: '2026-01-01T00:00:00.000Z',
        arrays: [{ stage: 0, offset: 0, size: 2 }],
        jobIds: [jobId],
      });
    writeFileSync(join(subs, '20260101T000002Z-2.json'), rec('22'));
    writeFileSync(join(subs, '20260101T000001Z-1.json'), rec('11'));
    writeFileSync(join(subs, '20260101T000003Z-3.json.tmp-3-abc'), 'half');
    expect((await submissionsOf(t, plan)).map((s) => s.jobIds[0])).toEqual(['11', '22']);
    writeFileSync(join(subs, '20260101T000004Z-4.json'), '{"version":1}');
    await expect(submissionsOf(t, plan)).rejects.toMatchObject({ code: 'E_PLAN_CORRUPT' });
  });
});
