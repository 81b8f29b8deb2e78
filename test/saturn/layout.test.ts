// Saturn's per-run layout as run-partition writes it (the saturn task hook): status_code exactly as
// saturn-client writes and reads it, complete stdout/stderr echoed to the job log, the variables sc
// batch sets, status_code 0 as the shared record of a done run, and URL outputs copied by a command.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const dir = scratch('batchplan-saturn-layout-');
let seq = 0;

/** A Saturn batch file in a fresh directory, planned; returns the plan and the output root. */
function planBatch(batch: Record<string, unknown>, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const work = join(dir, `b${seq++}`);
  mkdirSync(work);
  writeFileSync(join(work, 'batch.json'), JSON.stringify({ remote_output_path: 'out', ...batch }));
  const plan = join(work, 'batch.plan');
  const r = cli(['plan', join(work, 'batch.json'), '-o', plan, ...flags], { env });
  expect(r.stderr).toBe(r.code === 0 ? r.stderr : '');
  expect(r.code).toBe(0);
  return { work, plan, out: join(work, 'out'), planned: r };
}
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

describe('status_code', () => {
  it('is the exit code with no newline, a signal as its negative number', () => {
    const { plan, out } = planBatch({
      nprocs: 3,
      runs: [{ cmd: 'true' }, { cmd: 'exit 3' }, { cmd: 'kill -9 $$' }, { cmd: 'kill -TERM $$' }],
    });
    expect(cli(['run-partition', plan, 'batch', '1', '0']).code).toBe(1);
    expect(['0', '1', '2', '3'].map((i) => read(out, i, 'status_code'))).toEqual(['0', '3', '-9', '-15']);
    for (const i of ['0', '1', '2', '3'])
      expect(readdirSync(join(out, i)).sort()).toEqual(['results', 'status_code', 'stderr', 'stdout']);
  });

  it('is absent for an interrupted run (read as incomplete), even after a failed attempt', async () => {
    const { plan, out } = planBatch({
      runs: [
        {
          cmd: 'cd "$SATURN_RUN_LOCAL_RESULTS_DIR/.."; if [ -e tried ]; then touch started; exec sleep 30; fi; touch tried; exit 1',
        },
      ],
    });
    expect(cli(['run-partition', plan, 'batch', '1', '0']).code).toBe(1);
    expect(read(out, '0', 'status_code')).toBe('1');
    const run = cliAsync(['run-partition', plan, 'batch', '1', '0']);
    for (let k = 0; k < 200 && !existsSync(join(out, '0', 'started')); k++)
      await new Promise((r) => setTimeout(r, 25));
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(143);
    expect(existsSync(join(out, '0', 'status_code'))).toBe(false);
  });
});

describe('output and environment', () => {
  it('keeps stdout and stderr complete (no --log-limit there), echoed to the job log', async () => {
    const { plan, out } = planBatch({
      runs: [{ cmd: 'seq 1 300000; echo to-stderr >&2' }],
    });
    const r = await cliAsync(['run-partition', plan, 'batch', '1', '0', '--log-limit', '1000']).done;
    expect(r.code).toBe(0);
    const full = Array.from({ length: 300000 }, (_, k) => `${k + 1}\n`).join('');
    expect(read(out, '0', 'stdout')).toBe(full); // ~2 MB: past the in-memory buffer, streamed
    expect(read(out, '0', 'stderr')).toBe('to-stderr\n');
    expect(r.stdout).toBe(full);
    expect(r.stderr).toContain('to-stderr\n');
    // The partition log keeps its bound.
    expect(cli(['logs', plan, 'batch.0', '--stdout']).stdout.length).toBeLessThan(1200);
  });

  it('echoes to stderr with --json, so that stdout stays one JSON document', () => {
    const { plan } = planBatch({ runs: [{ cmd: 'echo hello' }] });
    const r = cli(['run-partition', plan, 'batch', '1', '0', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 1 });
    expect(r.stderr).toContain('hello\n');
  });

  it('sets SATURN_RUN_REMOTE_OUTPUT_PATH, SATURN_RUN_LOCAL_RESULTS_DIR and SATURN_RUN_LOCAL_RANK', () => {
    const { plan, out } = planBatch({
      nprocs: 1,
      runs: [
        { cmd: 'echo "$SATURN_RUN_REMOTE_OUTPUT_PATH|$SATURN_RUN_LOCAL_RESULTS_DIR|$SATURN_RUN_LOCAL_RANK"' },
      ],
    });
    expect(cli(['run-partition', plan, 'batch', '1', '0']).code).toBe(0);
    expect(read(out, '0', 'stdout')).toBe(`${join(out, '0')}|${join(out, '0', 'results')}|0\n`);
  });

  it('takes file:// output paths as local paths', () => {
    const work = join(dir, 'fileurl');
    mkdirSync(work);
    const target = join(work, 'there');
    writeFileSync(
      join(work, 'batch.json'),
      JSON.stringify({ remote_output_path: pathToFileURL(target).href, runs: [{ cmd: 'echo x' }] }),
    );
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'batch.json'), '-o', plan]).code).toBe(0);
    expect(cli(['run-partition', plan, 'batch', '1', '0']).code).toBe(0);
    expect(read(target, '0', 'stdout')).toBe('x\n');
    expect(existsSync(join(work, 'file:'))).toBe(false);
  });
});

describe('status files are the shared record', () => {
  it('skips a run whose status_code is 0 though the journals do not know it (done by sc batch)', () => {
    const { plan, out, work } = planBatch({
      runs: [
        { cmd: `echo ran >> ${JSON.stringify(join(dir, 'ran-0'))}` },
        { cmd: 'echo 1' },
        { cmd: 'echo 2' },
      ],
    });
    mkdirSync(join(out, '0', 'results'), { recursive: true });
    writeFileSync(join(out, '0', 'status_code'), '0');
    mkdirSync(join(out, '1'), { recursive: true });
    writeFileSync(join(out, '1', 'status_code'), '5'); // failed: run again
    const r = cli(['run-partition', plan, 'batch', '1', '0', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: 1, succeeded: 2 });
    expect(existsSync(join(dir, 'ran-0'))).toBe(false);
    expect(read(out, '1', 'status_code')).toBe('0');
    expect(work).toBeTruthy();
  });
});

describe('URL output paths', () => {
  /** A copy command on PATH that records its arguments and copies to a local "bucket". */
  function recorder(name: string, failFirst = 0) {
    const bin = join(dir, `bin-${name}`);
    const bucket = join(dir, `bucket-${name}`);
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'fakecp'),
      `#!/bin/sh
# fakecp URL LOCAL (a status_code read back): from the bucket, recorded apart
case "$1" in *://*)
  echo "$*" >> ${JSON.stringify(join(bucket, 'reads'))}
  src=${JSON.stringify(bucket)}/$(printf %s "$1" | sed 's#^[a-z0-9]*://##')
  [ -f "$src" ] && cp "$src" "$2"; exit ;;
esac
# fakecp LOCAL URL: records the call; copies URL's path under the bucket
echo "$*" >> ${JSON.stringify(join(bucket, 'calls'))}
n=$(wc -l < ${JSON.stringify(join(bucket, 'calls'))})
if [ "$n" -le ${failFirst} ]; then echo "fakecp: denied" >&2; exit 1; fi
dest=${JSON.stringify(bucket)}/$(printf %s "$2" | sed 's#^[a-z0-9]*://##')
mkdir -p "$(dirname "$dest")" && cp "$1" "$dest"
`,
    );
    chmodSync(join(bin, 'fakecp'), 0o755);
    mkdirSync(bucket);
    writeFileSync(join(bucket, 'calls'), '');
    return { bucket, env: { PATH: `${bin}:${process.env.PATH}` } };
  }

  it('runs in a scratch directory and copies stdout, stderr, results/ and status_code last', () => {
    const rec = recorder('ok');
    const env = { ...rec.env, BATCHPLAN_COPY_S3: 'fakecp' };
    const { plan } = planBatch(
      {
        remote_output_path: 's3://bkt/runs',
        runs: [
          {
            cmd: 'echo out; echo err >&2; mkdir -p "$SATURN_RUN_LOCAL_RESULTS_DIR/d"; echo r > "$SATURN_RUN_LOCAL_RESULTS_DIR/d/x.txt"; echo "$SATURN_RUN_REMOTE_OUTPUT_PATH" >&2',
          },
        ],
      },
      [],
      env,
    );
    expect(cli(['run-partition', plan, 'batch', '1', '0'], { env: rec.env }).code).toBe(0);
    const b = join(rec.bucket, 'bkt', 'runs', '0');
    expect(read(b, 'stdout')).toBe('out\n');
    expect(read(b, 'stderr')).toBe('err\ns3://bkt/runs/0\n');
    expect(read(b, 'results', 'd', 'x.txt')).toBe('r\n');
    expect(read(b, 'status_code')).toBe('0');
    const calls = read(rec.bucket, 'calls').trim().split('\n');
    expect(calls.map((c) => c.split(' ')[1])).toEqual([
      's3://bkt/runs/0/stdout',
      's3://bkt/runs/0/stderr',
      's3://bkt/runs/0/results/d/x.txt',
      's3://bkt/runs/0/status_code',
    ]);
    // The scratch directory is gone.
    expect(existsSync(calls[0]!.split(' ')[0]!)).toBe(false);
  });

  it('fails the attempt when the copy fails, with the reason, and retries it', () => {
    const rec = recorder('fail', 1);
    const work = join(dir, 'retry');
    mkdirSync(work);
    const spec = {
      stages: [
        {
          name: 's',
          retries: 1,
          backoff: 0.1,
          env: { BATCHPLAN_COPY_GS: 'fakecp' },
          tasks: [{ id: 'up', cmd: 'echo ok', output: 'gs://b/o/0' }],
        },
      ],
    };
    writeFileSync(join(work, 'spec.json'), JSON.stringify(spec));
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'spec.json'), '-o', plan]).code).toBe(0);
    expect(cli(['run-partition', plan, 's', '1', '0'], { env: rec.env }).code).toBe(0);
    const [t] = JSON.parse(cli(['tasks', plan, '--json']).stdout);
    expect(t).toMatchObject({ attempts: 2, state: 'succeeded' });
    expect(read(rec.bucket, 'b', 'o', '0', 'status_code')).toBe('0');
    expect(read(rec.bucket, 'b', 'o', '0', 'stdout')).toBe('ok\n');
    // The first attempt's stderr in the partition log says why it failed.
    expect(cli(['logs', plan, 'up', '--stderr', '--attempt', '1']).stdout).toMatch(
      /copy to gs:\/\/b\/o\/0\/stdout failed \(fakecp\): fakecp: denied/,
    );
  });

  it('refuses at plan time a scheme with no copy command', () => {
    const work = join(dir, 'noscheme');
    mkdirSync(work);
    writeFileSync(
      join(work, 'b.json'),
      JSON.stringify({ remote_output_path: 'abfs://c/o', runs: [{ cmd: 'true' }] }),
    );
    const r = cli(['plan', join(work, 'b.json'), '-o', join(work, 'p.plan')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/abfs:\/\/.*no copy command.*BATCHPLAN_COPY_ABFS/s);
    expect(existsSync(join(work, 'p.plan'))).toBe(false);
  });
});
