// The PBS adapter and directives: parsers against real recorded output of Slurm's PBS wrappers and
// against output written from the PBS manuals (fixtures/pbs/, see its README: wrapper-* are real,
// manual-* are documented formats), argv builders and the rendered scripts' intent, both flavours.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  arrayArgs,
  dependValue,
  parseQstat,
  pbsJobName,
  pbsScheduler,
  pbsSize,
  pbsWalltime,
  resourceDirectives,
} from '../../src/runners/pbs-scheduler.js';
import { pbsChunks, pbsSubmissions } from '../../src/runners/pbs.js';
import { loadRunner } from '../../src/runners/registry.js';
import type { RenderContext } from '../../src/runners/runner.js';
import { cancelArgv, parseJobId, resolveWord } from '../../src/runners/submit-steps.js';
import { submissionArgv } from '../../src/submit/submit.js';
import { FIXTURES } from '../helpers.js';
import { CONTEXTS } from './contexts.js';

const pbs = await loadRunner('pbs');

const fixture = (name: string) => readFileSync(join(FIXTURES, 'pbs', name), 'utf8');
const byIndex = (stdout: string) =>
  Object.fromEntries(
    parseQstat(stdout).map((j) => [j.arrayIndex, [j.state, j.schedulerState, j.exitCode, j.signal]]),
  );
const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;
const withOptions = (ctx: RenderContext, options: RenderContext['options']): RenderContext => ({
  ...structuredClone(ctx),
  options,
});
const file = (ctx: RenderContext, path: string) => pbs.render(ctx).find((f) => f.path === path)!.content;
const directives = (text: string) => text.split('\n').filter((l) => l.startsWith('#PBS '));

describe('pbs: job ids', () => {
  it('reads bare ids (Slurm’s wrapper) and ids with a server suffix, arrays included', () => {
    expect(parseJobId(pbsScheduler, fixture('wrapper-qsub-array.stdout.txt'))).toBe('635');
    expect(parseJobId(pbsScheduler, fixture('manual-pro-qsub-array.stdout.txt'))).toBe('1234[].pbs01');
    expect(parseJobId(pbsScheduler, fixture('manual-pro-qsub-plain.stdout.txt'))).toBe('1235.pbs01');
    expect(parseJobId(pbsScheduler, fixture('manual-torque-qsub-array.stdout.txt'))).toBe(
      '1234[].torque01.example.org',
    );
  });

  it('refuses anything else, e.g. the wrapper’s error text', () => {
    expect(() => parseJobId(pbsScheduler, fixture('wrapper-qsub-invalid-partition.stdout.txt'))).toThrow(
      /not a job id/,
    );
    expect(() => parseJobId(pbsScheduler, '')).toThrow();
    expect(() => parseJobId(pbsScheduler, '1234[3].pbs01\n')).toThrow();
  });
});

describe('pbs: qstat -f', () => {
  it('PBS Pro (manual): subjobs under the array id, with their exit status; the array record is dropped', () => {
    const jobs = parseQstat(fixture('manual-pro-qstat-f-t-array.txt'));
    expect(new Set(jobs.map((j) => j.jobId))).toEqual(new Set(['1234[].pbs01']));
    expect(byIndex(fixture('manual-pro-qstat-f-t-array.txt'))).toEqual({
      0: ['completed', 'X', 0, undefined],
      1: ['failed', 'X', 3, undefined],
      2: ['running', 'R', undefined, undefined],
      3: ['queued', 'Q', undefined, undefined],
    });
    expect(jobs.find((j) => j.arrayIndex === 1)!.reason).toMatch(/and failed/);
  });

  it('PBS Pro job history (manual): F with 256 + signal', () => {
    expect(parseQstat(fixture('manual-pro-qstat-f-x-finished.txt'))).toEqual([
      {
        jobId: '1235.pbs01',
        arrayIndex: 0,
        state: 'failed',
        schedulerState: 'F',
        exitCode: 271,
        signal: 15,
        reason: 'Job run at Sun Nov 22 at 02:03 on (node01:ncpus=1) and finished',
      },
    ]);
  });

  it('Torque (manual): C with exit_status, H is queued', () => {
    expect(byIndex(fixture('manual-torque-qstat-f-t-array.txt'))).toEqual({
      0: ['completed', 'C', 0, undefined],
      1: ['failed', 'C', 271, 15],
      2: ['running', 'R', undefined, undefined],
      3: ['queued', 'H', undefined, undefined],
    });
  });

  it('Slurm’s wrapper (real): one record for the whole array, Q/R/C, no exit status', () => {
    const active = parseQstat(fixture('wrapper-qstat-f-array-active.txt'));
    expect(active).toEqual([{ jobId: '635', arrayIndex: 0, state: 'queued', schedulerState: 'Q' }]);
    expect(parseQstat(fixture('wrapper-qstat-f-array-final.txt'))).toEqual([
      { jobId: '635', arrayIndex: 0, state: 'completed', schedulerState: 'C' },
    ]);
    expect(parseQstat(fixture('wrapper-qstat-f-plain-running.txt'))[0]!.state).toBe('running');
    expect(parseQstat(fixture('wrapper-qstat-f-dependant-never-satisfied.txt'))[0]!.state).toBe('queued');
    expect(parseQstat(fixture('wrapper-qstat-f-unknown.stdout.txt'))).toEqual([]);
  });

  it('asks for subjobs (-t) only with a real PBS array id: Slurm’s wrapper has no -t', () => {
    expect(fixture('wrapper-qstat-t.exitcode.txt').trim()).toBe('2');
    expect(fixture('wrapper-qstat-t.stderr.txt')).toMatch(/Unknown option: t/);
    expect(pbsScheduler.queryArgv('1234[].pbs01')).toEqual(['qstat', '-f', '-t', '1234[].pbs01']);
    expect(pbsScheduler.queryArgv('1235.pbs01')).toEqual(['qstat', '-f', '1235.pbs01']);
    expect(pbsScheduler.queryArgv('635')).toEqual(['qstat', '-f', '635']);
    expect(cancelArgv(pbsScheduler, ['1234[].pbs01', '1235.pbs01'])).toEqual([
      'qdel',
      '1234[].pbs01',
      '1235.pbs01',
    ]);
  });
});

describe('pbs: qsub argv', () => {
  it('arrays: -J (Pro) or -t (Torque), %K throttle, never a one-element range', () => {
    expect(arrayArgs('pro', 8, 2)).toEqual(['-J', '0-7%2']);
    expect(arrayArgs('torque', 8)).toEqual(['-t', '0-7']);
    expect(arrayArgs('pro', 1)).toEqual([]);
  });

  it('dependencies as each flavour spells them', () => {
    // The -W value once the jobs' ids are known (each id as qsub printed it).
    const depend = (flavor: 'pro' | 'torque', ids: string[]) => {
      const word = dependValue(
        flavor,
        ids.map((_, job) => ({ job, type: 'afterok' as const })),
      );
      return (
        word &&
        resolveWord(
          word,
          ids.map((id) => [id]),
          '/s',
        )
      );
    };
    expect(depend('pro', [])).toBeUndefined();
    expect(depend('pro', ['1234[].pbs01', '1235.pbs01'])).toBe('depend=afterok:1234[].pbs01:1235.pbs01');
    expect(depend('torque', ['1234[].t01', '1235.t01', '1236[].t01'])).toBe(
      'depend=afterokarray:1234[].t01,afterok:1235.t01,afterokarray:1236[].t01',
    );
    // Slurm's wrapper prints bare ids and understands only afterok.
    expect(depend('torque', ['635'])).toBe('depend=afterok:635');
  });

  it('submits each stage in order; the flavour comes from the runner options', () => {
    for (const flavor of ['pro', 'torque'] as const) {
      const ctx = withOptions(sweep, { flavor, maxRunning: 3 });
      const subs = pbsSubmissions(ctx);
      expect(subs.map((s) => [s.stageIndex, s.array, s.offset, s.size])).toEqual([
        [0, true, 0, 4],
        [1, false, 0, 1],
      ]);
      const ids = flavor === 'pro' ? ['77[].pbs01', '78.pbs01'] : ['77[].t01', '78.t01'];
      expect(submissionArgv(pbs, ctx, subs, '/s', ids)).toEqual([
        ['qsub', flavor === 'pro' ? '-J' : '-t', '0-3%3', '/s/stage-0.pbs'],
        [
          'qsub',
          '-W',
          flavor === 'pro' ? 'depend=afterok:77[].pbs01' : 'depend=afterokarray:77[].t01',
          '/s/stage-1.pbs',
        ],
      ]);
    }
  });

  it('splits past --max-array-size with the offset in -v, avoiding a one-element tail', () => {
    expect(pbsChunks(10, 4)).toEqual([
      { offset: 0, size: 4 },
      { offset: 4, size: 4 },
      { offset: 8, size: 2 },
    ]);
    expect(pbsChunks(9, 4)).toEqual([
      { offset: 0, size: 4 },
      { offset: 4, size: 3 },
      { offset: 7, size: 2 },
    ]);
    const ctx = withOptions(sweep, { maxArraySize: 3 });
    const argv = submissionArgv(pbs, ctx, pbsSubmissions(ctx), '/s', []);
    expect(argv[1]).toEqual(['qsub', '-J', '0-1', '-v', 'BATCHPLAN_ARRAY_OFFSET=2', '/s/stage-0.pbs']);
    expect(argv[2]).toEqual([
      'qsub',
      '-W',
      'depend=afterok:<job of extract>:<job of extract>',
      '/s/stage-1.pbs',
    ]);
  });
});

describe('pbs: directives', () => {
  it('walltime and sizes as PBS writes them', () => {
    expect(pbsWalltime(5400)).toBe('01:30:00');
    expect(pbsWalltime(36 * 3600 + 61)).toBe('36:01:01');
    expect(pbsSize('4G')).toBe('4gb');
    expect(pbsSize('1.5G')).toBe('1536mb');
    expect(pbsSize('500M')).toBe('500mb');
    expect(pbsSize('2000')).toBe('2000mb');
    expect(pbsSize('16GB')).toBe('16gb');
  });

  it('Pro: one select chunk; Torque: nodes/ppn and mem; both: -A, walltime, -q, extra directives verbatim', () => {
    const r = {
      cpusPerTask: 4,
      mem: '8G',
      gpusPerTask: 1,
      account: 'm1234',
      partition: 'gpu',
      time: 7200,
      runners: { pbs: { args: ['-l', 'place=excl', '-m', 'n'] } },
    };
    expect(resourceDirectives('pro', r)).toEqual([
      '-A m1234',
      '-l select=1:ncpus=4:mem=8gb:ngpus=1',
      '-l walltime=02:00:00',
      '-q gpu',
      '-l place=excl -m n',
    ]);
    expect(resourceDirectives('torque', r)).toEqual([
      '-A m1234',
      '-l nodes=1:ppn=4:gpus=1',
      '-l mem=8gb',
      '-l walltime=02:00:00',
      '-q gpu',
      '-l place=excl -m n',
    ]);
    expect(resourceDirectives('pro', {})).toEqual([]);
  });

  it('refuses what PBS has no directive for, and line breaks in a directive', () => {
    expect(() => resourceDirectives('pro', { qos: 'high' })).toThrow(/--qos does not apply/);
    expect(() => resourceDirectives('torque', { constraint: 'skylake' })).toThrow(/--constraint/);
    expect(() => resourceDirectives('pro', { account: 'a\ntouch pwned' })).toThrow(/line break/);
    expect(() => resourceDirectives('pro', { runners: { pbs: { args: ['-m n\nrm -rf /'] } } })).toThrow(
      /line break/,
    );
  });

  it('job names PBS accepts', () => {
    expect(pbsJobName('pro', 0, `it's a "stage"`)).toBe('bp0-it_s_a_stage_');
    expect(pbsJobName('torque', 12, 'a-very-long-stage-name')).toBe('bp12-a-very-lon');
  });
});

describe('pbs: rendered scripts (intent; the exact bytes are golden files)', () => {
  it('Pro by default: -J, and the plain job of a one-partition stage has no array directive', () => {
    expect(directives(file(sweep, 'stage-0.pbs'))).toContain('#PBS -J 0-3');
    expect(directives(file(sweep, 'stage-1.pbs')).some((l) => /^#PBS -[Jt] /.test(l))).toBe(false);
    expect(file(sweep, 'stage-0.pbs')).toContain(
      'if [ -z "${PBS_ARRAY_INDEX:-}${PBS_ARRAYID:-}" ]; then index=0; fi',
    );
    expect(file(sweep, 'submit.sh')).toContain('qsub -W depend=afterok:"${job_0_0}" "$here"/stage-1.pbs');
  });

  it('Torque: -t with the throttle, PBS_ARRAYID first, afterokarray in the driver', () => {
    const ctx = withOptions(sweep, { flavor: 'torque', maxRunning: 2 });
    expect(directives(file(ctx, 'stage-0.pbs'))).toContain('#PBS -t 0-3%2');
    expect(file(ctx, 'stage-0.pbs')).toContain('"${PBS_ARRAYID:-}${PBS_ARRAY_INDEX:-}"');
    const driver = file(ctx, 'submit.sh');
    expect(driver).toContain('out=$(qsub -t 0-3%2 "$here"/stage-0.pbs)');
    // afterokarray only where the id qsub printed names an array (Slurm's wrapper prints bare ids).
    expect(driver).toContain(
      `out=$(qsub -W depend="$([[ \${job_0_0} == *'[]'* ]] && echo afterokarray: || echo afterok:)""\${job_0_0}" "$here"/stage-1.pbs)`,
    );
  });

  it('quotes a hostile plan path and account in #PBS lines; no array directive once a stage is split', () => {
    const quoting = CONTEXTS.find((c) => c.name === 'quoting')!.ctx;
    const lines = directives(file(quoting, 'stage-0.pbs'));
    expect(lines).toContain(`#PBS -o '/data/my plan'\\''s $HOME/{} {#} "x" \`id\`/sweep.plan/jobs/'`);
    expect(lines).toContain(`#PBS -A 'lab'\\''s $(touch pwned-account)'`);
    const split = withOptions(sweep, { maxArraySize: 3 });
    expect(directives(file(split, 'stage-0.pbs')).some((l) => l.startsWith('#PBS -J'))).toBe(false);
  });
});

describe('a failed qstat -f', () => {
  it('means the job is gone for PBS_UNKJOBID (exit 153), not for other failures', () => {
    const unknown = {
      exitCode: Number(fixture('wrapper-qstat-f-unknown.exitcode.txt')),
      stderr: fixture('wrapper-qstat-f-unknown.stderr.txt'),
    };
    expect(pbsScheduler.unknownJob!(unknown)).toBe(true);
    // Any other exit status (a server that does not answer) says nothing of the job.
    expect(pbsScheduler.unknownJob!({ exitCode: 1, stderr: '' })).toBe(false);
  });
});
