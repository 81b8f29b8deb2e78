// rerun --force and retry over Saturn's layout: a run's status_code (0 from batchplan itself, from
// sc batch, or at a URL) must not outvote a reset marker newer than it. The reset makes the run
// pending in status and tasks and run-partition runs it again; a status_code written after the reset
// (a later sc batch) counts as done again; nothing recorded is lost (earlier attempts still count,
// and the old status_code stays until the new attempt starts).
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const dir = scratch('batchplan-saturn-rerun-');
let seq = 0;

function planBatch(batch: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const work = join(dir, `b${seq++}`);
  mkdirSync(work);
  writeFileSync(join(work, 'batch.json'), JSON.stringify({ remote_output_path: 'out', ...batch }));
  const plan = join(work, 'batch.plan');
  const r = cli(['plan', join(work, 'batch.json'), '-o', plan], { env });
  expect(r.code, r.stderr).toBe(0);
  return { work, plan, out: join(work, 'out') };
}
const put = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
/** A run that appends a line to `ran<i>` in the work folder each time it runs. */
const counting = (work: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ cmd: `echo x >> ${join(work, `ran${i}`)}` }));
const runs = (work: string, i: number) =>
  existsSync(join(work, `ran${i}`)) ? readFileSync(join(work, `ran${i}`), 'utf8').split('\n').length - 1 : 0;
const rows = (plan: string, env: NodeJS.ProcessEnv = {}) =>
  JSON.parse(cli(['tasks', plan, '--json'], { env }).stdout) as {
    id: string;
    state: string;
    attempts: number;
  }[];
const states = (plan: string, env: NodeJS.ProcessEnv = {}) => rows(plan, env).map((t) => t.state);
const counts = (plan: string, env: NodeJS.ProcessEnv = {}) =>
  (JSON.parse(cli(['status', plan, '--json'], { env }).stdout) as { overall: Record<string, number> })
    .overall;
function partition(plan: string, env: NodeJS.ProcessEnv = {}) {
  const r = cli(['run-partition', plan, 'batch', '1', '0', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { skipped: number; succeeded: number };
}
function reset(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = cli(args, { env });
  expect(r.code, r.stderr).toBe(0);
}

describe('a reset newer than a run’s status_code makes it run again', () => {
  it('rerun --force of runs batchplan completed: pending in status and tasks, run again by run-partition', () => {
    const w = join(dir, `w${seq++}`);
    mkdirSync(w);
    const { plan, out } = planBatch({ runs: counting(w, 3) });
    expect(partition(plan)).toMatchObject({ succeeded: 3 });
    expect(readFileSync(join(out, '0', 'status_code'), 'utf8')).toBe('0');
    reset(['rerun', plan, '--force', '--id', 'batch.0', '--id', 'batch.2']);
    expect(states(plan)).toEqual(['pending', 'succeeded', 'pending']);
    expect(counts(plan)).toMatchObject({ pending: 2, succeeded: 1 });
    // Nothing recorded is lost: the old status_code and attempts stay until the new attempt starts.
    expect(readFileSync(join(out, '0', 'status_code'), 'utf8')).toBe('0');
    expect(rows(plan).map((t) => t.attempts)).toEqual([1, 1, 1]);
    expect(partition(plan)).toMatchObject({ skipped: 1, succeeded: 2 });
    expect([runs(w, 0), runs(w, 1), runs(w, 2)]).toEqual([2, 1, 2]);
    expect(rows(plan).map((t) => [t.state, t.attempts])).toEqual([
      ['succeeded', 2],
      ['succeeded', 1],
      ['succeeded', 2],
    ]);
    expect(readFileSync(join(out, '0', 'status_code'), 'utf8')).toBe('0');
    // Done now: a third run runs nothing.
    expect(partition(plan)).toMatchObject({ skipped: 3, succeeded: 0 });
  });

  it('runs only a status_code shows (sc batch): rerun --force resets them; a later status_code counts again', () => {
    const w = join(dir, `w${seq++}`);
    mkdirSync(w);
    const { plan, out } = planBatch({ runs: counting(w, 2) });
    put(join(out, '0', 'status_code'), '0');
    put(join(out, '1', 'status_code'), '0');
    // An old result: written before the reset, however this machine's clock and the file's differ.
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(out, '0', 'status_code'), old, old);
    utimesSync(join(out, '1', 'status_code'), old, old);
    expect(states(plan)).toEqual(['succeeded', 'succeeded']);
    reset(['rerun', plan, '--force', '--stage', 'batch']);
    expect(states(plan)).toEqual(['pending', 'pending']);
    // sc batch ran run 1 again after the reset: its new status_code is done again.
    const later = new Date(Date.now() + 5_000);
    put(join(out, '1', 'status_code'), '0');
    utimesSync(join(out, '1', 'status_code'), later, later);
    expect(states(plan)).toEqual(['pending', 'succeeded']);
    expect(partition(plan)).toMatchObject({ skipped: 1, succeeded: 1 });
    expect([runs(w, 0), runs(w, 1)]).toEqual([1, 0]);
    expect(states(plan)).toEqual(['succeeded', 'succeeded']);
  });

  it('the reset run’s old status_code is removed when its new attempt starts: a kill leaves it incomplete', async () => {
    const started = join(dir, `started${seq++}`);
    const { plan, out } = planBatch({
      runs: [{ cmd: `if [ -e ${started} ]; then exec sleep 30; fi; touch ${started}` }],
    });
    expect(partition(plan)).toMatchObject({ succeeded: 1 });
    reset(['rerun', plan, '--force', '--id', 'batch.0']);
    const run = cliAsync(['run-partition', plan, 'batch', '1', '0']);
    for (let k = 0; k < 400 && existsSync(join(out, '0', 'status_code')); k++)
      await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(join(out, '0', 'status_code'))).toBe(false);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(out, '0', 'status_code'))).toBe(false);
    expect(rows(plan)[0]).toMatchObject({ state: 'lost', attempts: 2 });
  });

  it('URL outputs (no file time): a reset run runs again', () => {
    const root = join(dir, `aws${seq++}`);
    const bucket = join(root, 'bucket');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(
      join(root, 'bin', 'aws'),
      `#!/bin/sh
path() { printf %s "$1" | sed 's#^s3://#${bucket}/#'; }
case "$2" in
  cp) case "$3" in
        s3://*) src=$(path "$3"); [ -f "$src" ] || exit 1; cp "$src" "$4" ;;
        *) dst=$(path "$4"); mkdir -p "$(dirname "$dst")" && cp "$3" "$dst" ;;
      esac ;;
  rm) rm -f "$(path "$3")" ;;
esac
`,
    );
    chmodSync(join(root, 'bin', 'aws'), 0o755);
    const env = { PATH: `${join(root, 'bin')}:${process.env.PATH}` };
    const w = join(dir, `w${seq++}`);
    mkdirSync(w);
    const { plan } = planBatch({ remote_output_path: 's3://b/r', runs: counting(w, 2) }, env);
    put(join(bucket, 'b', 'r', '0', 'status_code'), '0');
    put(join(bucket, 'b', 'r', '1', 'status_code'), '0');
    expect(states(plan, env)).toEqual(['succeeded', 'succeeded']);
    reset(['rerun', plan, '--force', '--id', 'batch.1'], env);
    expect(states(plan, env)).toEqual(['succeeded', 'pending']);
    expect(partition(plan, env)).toMatchObject({ skipped: 1, succeeded: 1 });
    expect([runs(w, 0), runs(w, 1)]).toEqual([0, 1]);
    expect(states(plan, env)).toEqual(['succeeded', 'succeeded']);
  });
});
