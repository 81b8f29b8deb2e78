// What the golden files of the `requires` context (test/golden/<runner>/requires/) mean, stated as
// intent: the context is what generate-script derives from fixtures/examples/qdo-small.yaml for
// N = 3, and in it merge partition g waits for extract partition g only, where the runner can say
// so (Slurm per element, Grid Engine and LSF paired arrays, the local runners' order), and for the
// whole extract stage where it cannot (PBS). Also: --skip-failures reaches every runner's
// run-partition (and run-hosts) command line, and nothing else does without it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { renderStages } from '../../src/runners/context.js';
import { loadRunners } from '../../src/runners/registry.js';
import { cli, FIXTURES, ROOT, scratch } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

const golden = (runner: string, file: string) =>
  readFileSync(join(ROOT, 'test', 'golden', runner, 'requires', file), 'utf8');
const named = (name: string) => CONTEXTS.find((c) => c.name === name)!.ctx;

describe('golden context requires: merge g needs extract g', () => {
  it('is what generate-script derives from the qdo-small example for N = 3', () => {
    const plan = join(scratch(), 'qdo.plan');
    const r = cli(['plan', join(FIXTURES, 'examples', 'qdo-small.yaml'), '-o', plan]);
    expect(r.code, r.stderr).toBe(0);
    const derived = renderStages(readPlan(plan), 3).map(({ name, tasks, partitions, after, requires }) => ({
      name,
      tasks,
      partitions,
      after,
      ...(requires ? { requires } : {}),
    }));
    const ctx = named('requires').stages.map(({ name, tasks, partitions, after, requires }) => ({
      name,
      tasks,
      partitions,
      after,
      ...(requires ? { requires } : {}),
    }));
    expect(ctx).toEqual(derived);
  });

  it('slurm: each merge element waits for its own extract element, after the whole-array afterany', () => {
    const sh = golden('slurm', 'submit.sh');
    const narrowed = [...sh.matchAll(/JobId="\$\{job_1_1\}"_(\d) Dependency=afterany:"\$\{job_0_0\}"_(\d)/g)];
    expect(narrowed.map((m) => [m[1], m[2]])).toEqual([
      ['0', '0'],
      ['1', '1'],
      ['2', '2'],
    ]);
    expect(sh).toContain(
      '--dependency=afterany:"${job_0_0}" --kill-on-invalid-dep=yes "$here"/stage-1.sbatch',
    );
  });

  it('sge pairs the arrays (-hold_jid_ad), lsf waits element by element (ended(<id>[*])), pbs for the stage', () => {
    expect(golden('sge', 'submit.sh')).toMatch(
      /qsub -terse -t 1-3 .*-hold_jid_ad "\$\{job_0_0\}" "\$here"\/stage-1\.sge/,
    );
    expect(golden('lsf', 'submit.sh')).toContain(`-w 'ended('"\${job_0_0}"'[*])' -ti < "$here"/stage-1.lsf`);
    expect(golden('pbs', 'submit.sh')).toContain(
      'qsub -J 0-2 -W depend=afterok:"${job_0_0}" "$here"/stage-1.pbs',
    );
  });

  it('sequential runs merge g right after extract g; gnu-parallel lists them in that order', () => {
    expect(golden('sequential', 'run.sh')).toContain('for item in 0:0 1:0 0:1 1:1 0:2 1:2; do');
    const gp = golden('gnu-parallel', 'run.sh');
    expect(gp).toContain('::: 0 1 0 1 0 1 \\\n  ::: 0 0 1 1 2 2 ||');
  });
});

describe('--skip-failures on every runner’s command lines', () => {
  it('each runner carries it where it starts run-partition (or run-hosts), and only when asked', async () => {
    for (const runner of await loadRunners()) {
      const text = (name: string) =>
        runner
          .render(contextFor(runner, named(name)))
          .map((f) => f.content)
          .join('\n');
      const starts = (t: string) =>
        t
          .replace(/\\\n/g, ' ') // a command continued on the next line is one line
          .split('\n')
          .filter(
            (l) => /\brun-(partition|hosts)\b/.test(l) && !/^\s*#/.test(l) && /batchplan|^\s*- /.test(l),
          );
      const withFlag = starts(text('options'));
      expect(withFlag.length, runner.name).toBeGreaterThan(0);
      // Kubernetes lists argv one word a line: the flag is its own line there.
      if (runner.name === 'kubernetes') expect(text('options'), runner.name).toContain('- --skip-failures');
      else for (const l of withFlag) expect(l, runner.name).toContain('--skip-failures');
      expect(text('two-stage-sweep'), runner.name).not.toContain('--skip-failures');
    }
  });
});
