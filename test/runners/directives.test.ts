// One meaning for the same input (src/runners/directives.ts): the same verbatim args reach every
// scheduler as the same argument words, and gpus / gpus_per_task resolve alike in every runner.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Resources } from '../../src/plan/model.js';
import { resourceOptions as lsfOptions } from '../../src/runners/lsf-directives.js';
import { resourceDirectives } from '../../src/runners/pbs-scheduler.js';
import { loadRunner } from '../../src/runners/registry.js';
import { resourceOptions as sgeOptions } from '../../src/runners/sge-scheduler.js';
import { resourceOptions as slurmOptions } from '../../src/runners/slurm-directives.js';
import { CONTEXTS, contextFor } from './contexts.js';

/** How a shell (and sbatch, qsub and bsub reading a directive line) splits a line into words. */
function words(line: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const ARGS = ['-E', 'test -d /scratch', "--comment=it's $HOME", '-x'];
const withArgs = (runner: string): Resources => ({ runners: { [runner]: { args: ARGS } } });

describe('verbatim scheduler args', () => {
  it('are the same argument words for slurm, pbs and lsf (one directive line) and sge (qsub argv)', () => {
    expect(words(slurmOptions(withArgs('slurm')).at(-1)!)).toEqual(ARGS);
    expect(words(resourceDirectives('pro', withArgs('pbs')).at(-1)!)).toEqual(ARGS);
    expect(words(lsfOptions(withArgs('lsf')).at(-1)!)).toEqual(ARGS);
    expect(sgeOptions(withArgs('sge'), undefined)).toEqual(ARGS);
  });

  it('refuse a line break, which would end the directive line, in every runner', () => {
    const bad = (runner: string): Resources => ({ runners: { [runner]: { args: ['-m n\ntouch pwned'] } } });
    expect(() => slurmOptions(bad('slurm'))).toThrow(/line break/);
    expect(() => resourceDirectives('pro', bad('pbs'))).toThrow(/line break/);
    expect(() => lsfOptions(bad('lsf'))).toThrow(/line break/);
    expect(() => sgeOptions(bad('sge'), undefined)).toThrow(/line break/);
  });

  it('of another runner are ignored (each runner reads its own namespace)', () => {
    expect(slurmOptions(withArgs('pbs'))).toEqual([]);
    expect(lsfOptions(withArgs('slurm'))).toEqual([]);
  });
});

describe('gpus and gpus_per_task', () => {
  const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;
  const withGpus = (resources: Resources) => ({
    ...sweep,
    stages: sweep.stages.map((s) => ({ ...s, resources })),
  });

  it.each(['pbs', 'lsf', 'kubernetes'])(
    '%s: either one asks for the same GPUs per partition',
    async (name) => {
      const runner = await loadRunner(name);
      const render = (r: Resources) =>
        runner
          .render(contextFor(runner, withGpus(r)))
          .map((f) => f.content)
          .join('\n');
      expect(render({ gpus: 2 })).toBe(render({ gpusPerTask: 2 }));
      expect(render({ gpus: 2, gpusPerTask: 2 })).toBe(render({ gpus: 2 }));
    },
  );

  it.each(['slurm', 'pbs', 'lsf', 'kubernetes'])('%s: refuses both with different values', async (name) => {
    const runner = await loadRunner(name);
    expect(() => runner.render(contextFor(runner, withGpus({ gpus: 2, gpusPerTask: 1 })))).toThrow(
      /disagree/,
    );
  });
});

describe('runner templates', () => {
  it('join values as text, as command templates do ({{a}}{{b}} with 1 and 2 is 12, not 3)', async () => {
    const { compileTemplate } = await import('../../src/runners/templates.js');
    const { compileTaskTemplate } = await import('../../src/plan/template.js');
    expect(compileTemplate('{{a}}{{b}}')({ a: 1, b: 2 })).toBe('12');
    expect(compileTemplate('{{#each xs}}{{this}}{{../n}}{{/each}}')({ xs: [1, 2], n: 3 })).toBe('1323');
    expect(compileTemplate('{{q a}}{{q b}}')({ a: 1, b: 2 })).toBe('12');
    // A block other than #if leaves the whole command template to Handlebars (src/plan/template.ts).
    expect(compileTaskTemplate('{{#each xs}}{{this}}{{../b}}{{/each}}')({ xs: [1], b: 2 }, 0)).toBe('12');
  });
});
