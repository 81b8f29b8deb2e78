// Saturn batch files as saturn-client accepts them: the run fields sc split writes back, top-level
// keys it ignores (a warning), and sc split's --skip-failures and --max-jobs at plan time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-saturn-inputs-');
let seq = 0;

function batchFile(batch: unknown): string {
  const work = join(dir, `w${seq++}`);
  mkdirSync(work);
  writeFileSync(join(work, 'batch.json'), JSON.stringify(batch));
  return work;
}
const tasksOf = (plan: string) =>
  (JSON.parse(cli(['tasks', plan, '--json']).stdout) as { id: string; cmd: string }[]).map((t) => t.id);

describe('Saturn batch files', () => {
  it('accepts the fields sc split writes into its batch files (information only)', () => {
    // As sc split's json.dump(asdict(Batch)) writes them: nulls for a run not yet done.
    const work = batchFile({
      runs: [
        {
          remote_output_path: 'out/0',
          cmd: 'echo a',
          local_results_dir: '/tmp/3f2a/',
          status_code: null,
          status: null,
        },
        {
          remote_output_path: 'out/1',
          cmd: 'echo b',
          local_results_dir: '/tmp/9c1d/',
          status_code: 0,
          status: 'completed',
        },
      ],
      remote_output_path: 'out',
      nprocs: 2,
    });
    const plan = join(work, 'p.plan');
    const r = cli(['plan', join(work, 'batch.json'), '-o', plan]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // status_code 0 in the file is not trusted: no status_code file, so both run.
    const run = cli(['run-partition', plan, 'batch', '1', '0', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ succeeded: 2, skipped: 0 });
  });

  it('warns about top-level keys saturn-client ignores, and still plans', () => {
    const work = batchFile({ remote_output_path: 'out', owner: 'me', runs: [{ cmd: 'true' }] });
    const r = cli(['plan', join(work, 'batch.json'), '-o', join(work, 'p.plan')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /warning: .*batch\.json: ignoring top-level key 'owner' \(saturn-client ignores it too\)/,
    );
  });

  it('refuses a run field saturn-client does not know, with its path', () => {
    const work = batchFile({ remote_output_path: 'out', runs: [{ cmd: 'true', retries: 2 }] });
    const r = cli(['plan', join(work, 'batch.json'), '-o', join(work, 'p.plan')]);
    expect(r.code).toBe(4); // E_SPEC_INVALID
    expect(r.stderr).toMatch(/runs\[0\]\.retries.*unknown key 'retries'/);
  });

  it('--skip-failures leaves out runs whose status_code is non-zero; --max-jobs keeps the first M', () => {
    const work = batchFile({
      remote_output_path: 'out',
      runs: ['a', 'b', 'c', 'd', 'e'].map((x) => ({ cmd: `echo ${x}` })),
    });
    const status = (i: number, code: string) => {
      mkdirSync(join(work, 'out', String(i)), { recursive: true });
      writeFileSync(join(work, 'out', String(i), 'status_code'), code);
    };
    status(0, '0');
    status(1, '-9');
    status(2, '2');
    const plan = join(work, 'p.plan');
    const r = cli(['plan', join(work, 'batch.json'), '-o', plan, '--skip-failures', '--max-jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipping 2 failed run\(s\)/);
    expect(r.stderr).toMatch(/found 3 runs; only keeping 2/);
    // Ids keep the runs' indices in the file; outputs too.
    expect(tasksOf(plan)).toEqual(['batch.0', 'batch.3']);
    const run = cli(['run-partition', plan, 'batch', '1', '0', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ skipped: 1, succeeded: 1 }); // run 0 was done
    expect(cli(['plan', join(work, 'batch.json'), '-o', join(work, 'q.plan'), '--max-jobs', '0']).code).toBe(
      2,
    );
  });

  it('generate-script --batch-size B instead of N (default 3 × nprocs, as sc split)', () => {
    const work = batchFile({ remote_output_path: 'out', nprocs: 2, runs: Array(30).fill({ cmd: 'true' }) });
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'batch.json'), '-o', plan]).code).toBe(0);
    const gen = (...extra: string[]) =>
      cli([
        'generate-script',
        plan,
        ...extra,
        '--runner',
        'saturn',
        '--image',
        'i',
        '--instance-type',
        't',
        '-o',
        join(work, 'out-' + extra.join('')),
        '--json',
      ]);
    const n = (r: ReturnType<typeof cli>) =>
      (JSON.parse(r.stdout) as { stages: { partitions: number }[] }).stages[0]!.partitions;
    expect(n(gen())).toBe(5); // 30 runs / (3 × 2)
    expect(n(gen('--batch-size', '10'))).toBe(3);
    expect(n(gen('--batch-size', '7'))).toBe(5); // ceil(30 / 7)
    expect(n(gen('4'))).toBe(4);
    const both = gen('4', '--batch-size', '10');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/N or --batch-size, not both/);
  });

  it('submit --batch-size B instead of N, as generate-script', () => {
    const work = batchFile({ remote_output_path: 'out', nprocs: 2, runs: Array(30).fill({ cmd: 'true' }) });
    const plan = join(work, 'p.plan');
    expect(cli(['plan', join(work, 'batch.json'), '-o', plan]).code).toBe(0);
    const dry = (...extra: string[]) => {
      const r = cli(['submit', plan, ...extra, '--runner', 'slurm', '--dry-run', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { commands: string[][] }).commands.flat().join(' ');
    };
    expect(dry('--batch-size', '7')).toMatch(/--array=0-4\b/); // ceil(30 / 7) = 5 partitions
    expect(dry()).toMatch(/--array=0-4\b/); // 3 × nprocs = 6 per partition
    expect(dry('3')).toMatch(/--array=0-2\b/);
    const both = cli(['submit', plan, '4', '--batch-size', '10', '--runner', 'slurm', '--dry-run']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/N or --batch-size, not both/);
  });

  it('--skip-failures is for Saturn batch files only', () => {
    const work = batchFile({ stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    const r = cli(['plan', join(work, 'batch.json'), '-o', join(work, 'p.plan'), '--skip-failures']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Saturn batch file only/);
  });
});
