// Each runner's options have a zod schema (options-schema.ts: one typed field per declared flag,
// strict, plus the descriptor's own rules), and generate-script/submit flags are checked through it.
import { describe, expect, it } from 'vitest';
import { checkOptions, optionsSchema } from '../../src/runners/options-schema.js';
import { getRunner, RUNNERS } from '../../src/runners/registry.js';
import { cli, scratch } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

describe.each(RUNNERS.map((r) => [r.name, r] as const))('options schema: %s', (_name, runner) => {
  it('accepts the options of every golden context, as generate-script hands them over', () => {
    for (const { ctx } of CONTEXTS) {
      const { options } = contextFor(runner, ctx);
      expect(checkOptions(runner, options)).toEqual(options);
    }
  });

  it('refuses an option the runner does not declare, and values of the wrong type', () => {
    expect(() =>
      checkOptions(runner, { ...contextFor(runner, CONTEXTS[0]!.ctx).options, noSuch: 1 }),
    ).toThrow(`runner '${runner.name}' has no option 'noSuch'`);
    expect(() => checkOptions(runner, { nprocs: 0 })).toThrow(/^--nprocs: /);
    for (const [key, spec] of Object.entries(runner.flags)) {
      const wrong = {
        int: 1.5,
        duration: -1,
        choice: 'nonesuch',
        list: 'not-a-list',
        boolean: 'yes',
        string: '',
      }[spec.kind];
      const flag = spec.flag.replace(/\s.*$/, '');
      const r = optionsSchema(runner).safeParse({
        ...contextFor(runner, CONTEXTS[0]!.ctx).options,
        [key]: wrong,
      });
      expect(r.success, `${flag} = ${JSON.stringify(wrong)}`).toBe(false);
    }
  });
});

describe('flags are checked through the schema', () => {
  const dir = scratch('batchplan-options-');
  const plan = `${dir}/sweep.plan`;
  it('names the flag and the values it takes', () => {
    expect(cli(['plan', 'fixtures/examples/sweep.yaml', '-o', plan]).code).toBe(0);
    // commander already refuses a choice it does not list; options built in code meet the schema.
    expect(() => checkOptions(getRunner('slurm'), { layout: 'grid' })).toThrow(
      "--layout: 'grid' is not one of arrays, allocation",
    );
    expect(() => checkOptions(getRunner('slurm'), { maxRunning: 0 })).toThrow(/^--max-running: /);
    const k = cli([
      'generate-script',
      plan,
      '2',
      '--runner',
      'kubernetes',
      '--image',
      'img',
      '-o',
      `${dir}/k8s`,
    ]);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('--volume: required');
    // A valid choice still renders.
    expect(
      cli(['generate-script', plan, '2', '--runner', 'pbs', '--flavor', 'torque', '-o', `${dir}/pbs`]).code,
    ).toBe(0);
  });

  it('keeps the descriptor free of zod: the rules get zod handed in', () => {
    expect(typeof getRunner('kubernetes').options).toBe('function');
  });
});
