// The runner descriptors are the one declaration of what a runner is: these tests keep what is
// derived from them (the CLI's flags, the generated index table, the spec schema) in step.
import { describe, expect, it } from 'vitest';
import { INDEX_VARIABLES } from '../../src/exec/partition-index.js';
import { RUNNER_INDEX_VARIABLES } from '../../src/exec/index-variables.js';
import { buildProgram } from '../../src/cli.js';
import { declaredFlags, flagName, optionKey } from '../../src/runners/flags.js';
import { RUNNERS } from '../../src/runners/registry.js';
import { resourcesSchema } from '../../src/spec/schema.js';
import { runnerIndexVariables } from '../../scripts/gen/schemas.js';

describe('runner descriptors', () => {
  it('the generated index table is every runner’s index variables, in registry order (npm run gen:schemas)', () => {
    expect(RUNNER_INDEX_VARIABLES).toEqual(runnerIndexVariables());
    expect(INDEX_VARIABLES.map((v) => v.name)).toEqual(
      expect.arrayContaining(RUNNERS.flatMap((r) => r.capabilities.indexVariables ?? []).map((v) => v.name)),
    );
  });

  it('a flag two runners share is declared alike (the CLI shows it once)', () => {
    for (const r of RUNNERS)
      for (const [key, spec] of Object.entries(r.flags)) {
        expect(optionKey(spec.flag), `${r.name}: ${spec.flag}`).toBe(key);
        expect(declaredFlags().get(key), `${r.name}: ${spec.flag}`).toEqual(spec);
      }
  });

  it('generate-script offers every declared flag; submit only those of runners that can submit', () => {
    const flags = (name: string) =>
      buildProgram()
        .commands.find((c) => c.name() === name)!
        .options.map((o) => o.long!);
    const all = [...declaredFlags().values()].map((f) => flagName(f.flag));
    expect(flags('generate-script')).toEqual(expect.arrayContaining(all));
    const submitting = RUNNERS.filter((r) => r.capabilities.canSubmit);
    const submitFlags = [...declaredFlags(submitting).values()].map((f) => flagName(f.flag));
    expect(flags('submit')).toEqual(expect.arrayContaining(submitFlags));
    for (const f of all.filter((f) => !submitFlags.includes(f))) expect(flags('submit')).not.toContain(f);
    expect(flags('submit')).not.toContain('--jobs');
    expect(flags('submit')).not.toContain('--image');
  });

  it('each runner with scheduler args has its own namespace in the spec', () => {
    for (const r of RUNNERS.filter((r) => r.schedulerArgs)) {
      expect(resourcesSchema.safeParse({ [r.name]: { args: ['-x'] } }).success, r.name).toBe(true);
      expect(resourcesSchema.safeParse({ [r.name]: { argz: ['-x'] } }).success, r.name).toBe(false);
    }
    expect(resourcesSchema.safeParse({ sequential: { args: ['-x'] } }).success).toBe(false);
  });
});
