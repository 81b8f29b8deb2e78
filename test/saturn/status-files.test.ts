// status_code files as the shared record, read back: status and tasks count runs that only a
// status_code shows (done by sc batch, or elsewhere); URL outputs are read through the scheme's copy
// command (here a stand-in `aws` on PATH over a local folder, as no cloud is reachable) for
// run-partition's skip, plan --skip-failures and status; an earlier attempt's status_code is removed
// before a run is tried again, so that an interrupted run reads as incomplete, never as that code.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, scratch } from '../helpers.js';

const dir = scratch('batchplan-saturn-status-');
let seq = 0;

function planBatch(batch: Record<string, unknown>, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const work = join(dir, `b${seq++}`);
  mkdirSync(work);
  writeFileSync(join(work, 'batch.json'), JSON.stringify({ remote_output_path: 'out', ...batch }));
  const plan = join(work, 'batch.plan');
  const r = cli(['plan', join(work, 'batch.json'), '-o', plan, ...flags], { env });
  expect(r.code, r.stderr).toBe(0);
  return { work, plan, out: join(work, 'out'), planned: r };
}
const put = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
const counts = (plan: string, env: NodeJS.ProcessEnv = {}) =>
  (JSON.parse(cli(['status', plan, '--json'], { env }).stdout) as { overall: Record<string, number> })
    .overall;
const rows = (plan: string, env: NodeJS.ProcessEnv = {}) =>
  JSON.parse(cli(['tasks', plan, '--json'], { env }).stdout) as {
    id: string;
    state: string;
    exitCode: number | null;
    attempts: number;
    signal?: string;
  }[];
async function until(test: () => boolean): Promise<void> {
  for (let k = 0; k < 400 && !test(); k++) await new Promise((r) => setTimeout(r, 25));
  expect(test()).toBe(true);
}

/** A stand-in `aws` (s3 cp both ways, s3 rm) over a local bucket folder, recording its calls. */
function fakeAws() {
  const root = join(dir, `aws${seq++}`);
  const bucket = join(root, 'bucket');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(bucket);
  writeFileSync(join(root, 'calls'), '');
  writeFileSync(
    join(root, 'bin', 'aws'),
    `#!/bin/sh
echo "$*" >> ${JSON.stringify(join(root, 'calls'))}
path() { printf %s "$1" | sed 's#^s3://#${bucket}/#'; }
[ "$1" = s3 ] || exit 2
case "$2" in
  cp) case "$3" in
        s3://*) src=$(path "$3"); [ -f "$src" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation" >&2; exit 1; }; cp "$src" "$4" ;;
        *) dst=$(path "$4"); mkdir -p "$(dirname "$dst")" && cp "$3" "$dst" ;;
      esac ;;
  rm) rm -f "$(path "$3")" ;;
  *) exit 2 ;;
esac
`,
  );
  chmodSync(join(root, 'bin', 'aws'), 0o755);
  return {
    bucket,
    env: { PATH: `${join(root, 'bin')}:${process.env.PATH}` },
    calls: () => readFileSync(join(root, 'calls'), 'utf8').trim().split('\n').filter(Boolean),
  };
}

describe('status and tasks read status_code files', () => {
  it('count runs that only a status_code shows: 0 succeeded, another code failed with it', () => {
    const { plan, out } = planBatch({
      runs: [{ cmd: 'true' }, { cmd: 'true' }, { cmd: 'true' }, { cmd: 'true' }],
    });
    put(join(out, '0', 'status_code'), '0'); // done by sc batch
    put(join(out, '1', 'status_code'), '3');
    put(join(out, '2', 'status_code'), '-9');
    expect(counts(plan)).toMatchObject({ total: 4, succeeded: 1, failed: 2, pending: 1 });
    const t = rows(plan);
    expect(t.map((r) => [r.state, r.exitCode, r.attempts])).toEqual([
      ['succeeded', 0, 0],
      ['failed', 3, 0],
      ['failed', null, 0],
      ['pending', null, 0],
    ]);
    expect(t[2]!.signal).toBe('SIGKILL');
    expect(rows(plan).length).toBe(4);
    // submit sees the work left as status does: a batch sc batch finished is not submitted again.
    for (const i of ['1', '2', '3']) put(join(out, i, 'status_code'), '0');
    expect(counts(plan)).toMatchObject({ succeeded: 4 });
    const r = cli(['submit', plan, '1', '--runner', 'slurm', '--dry-run']);
    expect(r.stderr).toMatch(/nothing to do/);
  });

  it('a killed run-partition leaves no older status_code: it is removed before the run starts', async () => {
    const { plan, out } = planBatch({
      runs: [{ cmd: 'cd "$SATURN_RUN_LOCAL_RESULTS_DIR/.."; touch started; exec sleep 30' }],
    });
    put(join(out, '0', 'status_code'), '1');
    const run = cliAsync(['run-partition', plan, 'batch', '1', '0']);
    await until(() => existsSync(join(out, '0', 'started')));
    // Removed before the run started: an interruption now cannot leave the older code behind.
    expect(existsSync(join(out, '0', 'status_code'))).toBe(false);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(join(out, '0', 'status_code'))).toBe(false);
    expect(rows(plan)[0]!.state).toBe('lost');
  });
});

describe('URL outputs: status_code read and removed through the scheme commands', () => {
  it('run-partition skips a run whose remote status_code is 0, and runs the others', () => {
    const aws = fakeAws();
    const { plan } = planBatch(
      { remote_output_path: 's3://b/runs', runs: [{ cmd: 'echo a' }, { cmd: 'echo b' }] },
      [],
      aws.env,
    );
    put(join(aws.bucket, 'b', 'runs', '0', 'status_code'), '0');
    const r = cli(['run-partition', plan, 'batch', '1', '0', '--json'], { env: aws.env });
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: 1, succeeded: 1 });
    expect(readFileSync(join(aws.bucket, 'b', 'runs', '1', 'stdout'), 'utf8')).toBe('b\n');
    expect(existsSync(join(aws.bucket, 'b', 'runs', '0', 'stdout'))).toBe(false);
    // Both status_code files were read with `aws s3 cp URL LOCAL`.
    expect(aws.calls().filter((c) => /^s3 cp s3:\/\/\S+\/status_code \//.test(c)).length).toBe(2);
  });

  it('plan --skip-failures leaves out runs whose remote status_code is not 0', () => {
    const aws = fakeAws();
    put(join(aws.bucket, 'b', 'r', '1', 'status_code'), '2');
    put(join(aws.bucket, 'b', 'r', '2', 'status_code'), '0');
    const { plan, planned } = planBatch(
      { remote_output_path: 's3://b/r', runs: [{ cmd: 'echo 0' }, { cmd: 'echo 1' }, { cmd: 'echo 2' }] },
      ['--skip-failures'],
      aws.env,
    );
    expect(planned.stderr).toMatch(/skipping 1 failed run/);
    expect(rows(plan, aws.env).map((t) => [t.id, t.state])).toEqual([
      ['batch.0', 'pending'],
      ['batch.2', 'succeeded'], // status reads the remote status_code too
    ]);
    expect(counts(plan, aws.env)).toMatchObject({ succeeded: 1, pending: 1 });
  });

  it('an interrupted retry leaves no status_code: the failed attempt’s code is removed first', async () => {
    const aws = fakeAws();
    const flag = join(dir, `tried${seq++}`);
    const started = join(dir, `started${seq++}`);
    const work = join(dir, `w${seq++}`);
    mkdirSync(work);
    const spec = {
      stages: [
        {
          name: 's',
          retries: 1,
          backoff: 0.1,
          tasks: [
            {
              id: 'u',
              cmd: `if [ -e ${flag} ]; then touch ${started}; exec sleep 30; fi; touch ${flag}; exit 4`,
              output: 's3://b/o/0',
            },
          ],
        },
      ],
    };
    writeFileSync(join(work, 'spec.json'), JSON.stringify(spec));
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'spec.json'), '-o', plan]).code).toBe(0);
    const code = join(aws.bucket, 'b', 'o', '0', 'status_code');
    const run = cliAsync(['run-partition', plan, 's', '1', '0'], { env: aws.env });
    await until(() => existsSync(started));
    // The first attempt uploaded 4; it was removed before the second started.
    expect(aws.calls()).toContain('s3 rm s3://b/o/0/status_code');
    expect(existsSync(code)).toBe(false);
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(143);
    expect(existsSync(code)).toBe(false);
    expect(rows(plan, aws.env)[0]).toMatchObject({ state: 'interrupted', attempts: 2 });
  });

  it('a stale remote code found at start is removed before the run starts', async () => {
    const aws = fakeAws();
    const started = join(dir, `started${seq++}`);
    const { plan } = planBatch(
      { remote_output_path: 's3://b/s', runs: [{ cmd: `touch ${started}; exec sleep 30` }] },
      [],
      aws.env,
    );
    const code = join(aws.bucket, 'b', 's', '0', 'status_code');
    put(code, '1');
    expect(counts(plan, aws.env)).toMatchObject({ failed: 1 });
    const run = cliAsync(['run-partition', plan, 'batch', '1', '0'], { env: aws.env });
    await until(() => existsSync(started));
    expect(existsSync(code)).toBe(false);
    run.child.kill('SIGKILL');
    await run.done;
    expect(existsSync(code)).toBe(false);
    expect(rows(plan, aws.env)[0]!.state).toBe('lost');
  });
});
