// The zod schema of a runner's options: one field per flag its descriptor declares, typed by the
// flag's kind, strict (an option the runner does not take is an error), plus the descriptor's own
// rules (descriptor.options). parseRunnerFlags checks every generate-script/submit through it;
// options built in code (the TypeScript API) go through checkOptions too.
import { z } from 'zod';
import { usageError } from '../errors.js';
import type { FlagSpec, RunnerDescriptor } from './descriptor.js';
import { flagName, optionKey, schedulerArgsFlag } from './flags.js';
import type { RunnerOptions } from './render-context.js';

function fieldOf(spec: FlagSpec): z.ZodType {
  switch (spec.kind) {
    case 'int':
      return z.int().positive();
    case 'duration':
      return z.int().nonnegative();
    case 'choice':
      return z.enum(spec.choices as [string, ...string[]]);
    case 'list':
      return z.array(z.string());
    case 'boolean':
      return z.boolean();
    case 'string':
      return z.string().min(1);
  }
}

const schemas = new WeakMap<RunnerDescriptor, z.ZodType>();

/** The runner's options schema (built once per runner). */
export function optionsSchema(runner: RunnerDescriptor): z.ZodType {
  let schema = schemas.get(runner);
  if (!schema) {
    const base = z.strictObject({
      nprocs: z.int().positive().optional(),
      skipFailures: z.boolean().optional(),
      ...Object.fromEntries(Object.entries(runner.flags).map(([k, spec]) => [k, fieldOf(spec).optional()])),
    });
    schema = runner.options ? runner.options(z, base) : base;
    schemas.set(runner, schema);
  }
  return schema;
}

/** The flag an option key comes from, for messages. */
function flagOf(runner: RunnerDescriptor, key: string): string {
  if (key === 'nprocs') return '--nprocs';
  if (key === 'skipFailures') return '--skip-failures';
  const spec =
    runner.flags[key] ??
    (runner.schedulerArgs && optionKey(runner.schedulerArgs.flag) === key
      ? schedulerArgsFlag(runner)
      : undefined);
  return spec ? flagName(spec.flag) : key;
}

/** Options checked against the runner's schema; a usage error names the flag and says what is wrong. */
export function checkOptions(runner: RunnerDescriptor, options: RunnerOptions): RunnerOptions {
  const r = optionsSchema(runner).safeParse(options);
  if (r.success) return r.data as RunnerOptions;
  const issue = r.error.issues[0]!;
  const key = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') throw usageError(`runner '${runner.name}' has no option '${key}'`);
  if (!key) throw usageError(`runner '${runner.name}': ${issue.message}`);
  const value = (options as Record<string, unknown>)[key];
  const what =
    issue.code === 'invalid_value' && 'values' in issue
      ? `'${String(value)}' is not one of ${issue.values.join(', ')}`
      : issue.message;
  throw usageError(`${flagOf(runner, key)}: ${what}`);
}
