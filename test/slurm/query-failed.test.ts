// A scheduler that does not answer says nothing of its jobs: they may still run. Before, a failed
// `scontrol show job` read as "the scheduler no longer knows the job", so submit submitted its
// partitions again (their tasks would run twice), plan --force replaced the plan under it, cancel
// said there was nothing to cancel and wait returned at once. Here a job runs on the real Slurm
// while an `scontrol` earlier in PATH answers `show job` as a stopped slurmctld did
// (fixtures/slurm/scontrol-show-job-unreachable.*) and passes everything else to the real one.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { engineHarness } from '../engine-harness.js';
import { cli, ROOT, scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-query-failed-');
const available = slurmUp();
const { makePlan, submit } = engineHarness('slurm', dir);

const recorded = (ext: string) =>
  readFileSync(join(ROOT, 'fixtures', 'slurm', `scontrol-show-job-unreachable.${ext}.txt`), 'utf8');

/** A PATH whose scontrol fails `show job` with the recorded output; the rest is Slurm's own. */
function unreachablePath(): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const real = spawnSync('sh', ['-c', 'command -v scontrol'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(bin, 'stderr.txt'), recorded('stderr'));
  writeFileSync(
    join(bin, 'scontrol'),
    `#!/bin/sh\nif [ "$1" = show ] && [ "$2" = job ]; then cat '${join(bin, 'stderr.txt')}' >&2; exit ${recorded('exitcode').trim()}; fi\nexec ${real} "$@"\n`,
  );
  chmodSync(join(bin, 'scontrol'), 0o755);
  return `${bin}:${process.env.PATH}`;
}

describe.runIf(available)('slurm: a query that fails', () => {
  it('submit, plan --force and cancel refuse (E_SCHEDULER_QUERY), doing nothing; wait keeps waiting', () => {
    const spec = join(dir, 'spec.yaml');
    writeFileSync(
      spec,
      'stages:\n  - name: s\n    template: "sleep 60 # {{k}}"\n    matrix: {k: {range: [0, 2]}}\n',
    );
    const plan = makePlan('busy', readFileSync(spec, 'utf8'));
    const { jobIds } = submit(plan, 1, '--time', '5');
    const env = { PATH: unreachablePath() };
    const records = () => readdirSync(join(plan, 'submissions')).length;
    try {
      const again = cli(['submit', plan, '1', '--runner', 'slurm', '--time', '5'], { env });
      expect(again.code, again.stderr).toBe(EXIT_CODES.E_SCHEDULER_QUERY);
      expect(again.stderr).toContain(
        `cannot ask slurm about job ${jobIds[0]} of this plan: ${recorded('stderr').trim()}`,
      );
      expect(again.stderr).toContain('nothing was submitted');
      expect(records()).toBe(1);

      const replace = cli(['plan', spec, '-o', plan, '--force'], { env });
      expect(replace.code, replace.stderr).toBe(EXIT_CODES.E_SCHEDULER_QUERY);
      expect(replace.stderr).toContain('the plan was not replaced');
      expect(records()).toBe(1);

      const cancel = cli(['cancel', plan], { env });
      expect(cancel.code, cancel.stderr).toBe(EXIT_CODES.E_SCHEDULER_QUERY);
      expect(cancel.stderr).toContain('nothing was cancelled');

      expect(jobState(jobIds[0]!), 'the job is still queued or running').toMatch(/^(PENDING|RUNNING)$/);

      const wait = cli(['wait', plan, '--timeout', '3', '--interval', '1'], { env });
      expect(wait.code, wait.stderr).toBe(124); // timed out: it did not take the job for finished
    } finally {
      expect(cli(['cancel', plan]).code).toBe(0);
    }
  }, 120_000);
});

/** Slurm's state of a job, from the real scontrol. */
function jobState(jobId: string): string {
  const out = spawnSync('scontrol', ['show', 'job', '-o', jobId], { encoding: 'utf8' }).stdout;
  return /JobState=(\S+)/.exec(out)?.[1] ?? '';
}
