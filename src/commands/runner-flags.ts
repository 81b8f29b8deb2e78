// generate-script/submit flags -> runner options and resources, from the runners' declarations
// (descriptor.ts), the options checked against the runner's zod schema (options-schema.ts). A flag
// the chosen runner does not declare is an error rather than silently ignored.
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import type { FlagSpec, RunnerDescriptor } from '../runners/descriptor.js';
import { declaredFlags, flagName, flagsOf, optionKey, RESOURCE_FLAGS } from '../runners/flags.js';
import { checkOptions } from '../runners/options-schema.js';
import type { RunnerOptions } from '../runners/runner.js';
import { durationFlag, parseTimeLimit } from '../spec/duration.js';
import { optionalPositiveInt, positiveInt } from './args.js';

/** What commander hands a command: `--runner`, the common flags, and whatever flags were declared. */
export interface RunnerFlags {
  runner: string;
  nprocs?: string;
  skipFailures?: boolean;
  batchplanCommand?: string;
  [flag: string]: unknown;
}

/** Whether commander saw the flag (lists default to [], booleans to undefined). */
const given = (v: unknown) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

function parseValue(spec: FlagSpec, value: unknown): unknown {
  const name = flagName(spec.flag);
  switch (spec.kind) {
    case 'int':
      return positiveInt(name, String(value));
    case 'duration':
      return Math.ceil(durationFlag(name, String(value)));
    case 'choice': // which ones: the options schema (options-schema.ts)
      return String(value);
    case 'list':
      return [...(value as string[])];
    case 'boolean':
      return true;
    case 'string':
      return String(value);
  }
}

function parseResource(key: keyof typeof RESOURCE_FLAGS, value: string): string | number {
  const name = flagName(RESOURCE_FLAGS[key].flag);
  if (key === 'time') {
    const secs = parseTimeLimit(value);
    if (secs === undefined)
      throw usageError(
        `--time: '${value}' is not a time limit`,
        'Use minutes (90), or e.g. 2:00:00, 1-12:00:00, 90m, 2h.',
      );
    return secs;
  }
  if (key === 'mem') {
    if (!/^\d+(\.\d+)?[KMGT]?B?$/i.test(value))
      throw usageError(`--mem: '${value}' is not a size (e.g. 16G, 500M)`);
    return value;
  }
  if (['cpusPerTask', 'gpusPerTask', 'gpus', 'nodes'].includes(key)) return optionalPositiveInt(name, value)!;
  return value;
}

export function parseRunnerFlags(
  runner: RunnerDescriptor,
  f: RunnerFlags,
): { options: RunnerOptions; resources: Resources } {
  const refuse = (flag: string) => {
    throw usageError(
      `${flag} does not apply to runner '${runner.name}'`,
      `Runner '${runner.name}' takes: ${flagsOf(runner).join(', ')}.`,
    );
  };
  const options: RunnerOptions = {};
  const nprocs = optionalPositiveInt('--nprocs', f.nprocs);
  if (nprocs !== undefined) options.nprocs = nprocs;
  if (f.skipFailures) options.skipFailures = true;
  const argsKey = runner.schedulerArgs && optionKey(runner.schedulerArgs.flag);
  for (const [key, spec] of declaredFlags()) {
    if (!given(f[key]) || key === argsKey) continue;
    if (!(key in runner.flags)) refuse(flagName(spec.flag));
  }
  for (const [key, spec] of Object.entries(runner.flags)) {
    const value = given(f[key]) ? f[key] : spec.default;
    if (value !== undefined) options[key] = parseValue(spec, value);
  }

  const resources: Resources = {};
  for (const key of Object.keys(RESOURCE_FLAGS) as (keyof typeof RESOURCE_FLAGS)[]) {
    const value = f[key];
    if (value === undefined) continue;
    if (!runner.resources?.includes(key)) refuse(flagName(RESOURCE_FLAGS[key].flag));
    Object.assign(resources, { [key]: parseResource(key, String(value)) });
  }
  if (argsKey && given(f[argsKey]))
    resources.runners = { [runner.name]: { args: [...(f[argsKey] as string[])] } };
  return { options: checkOptions(runner, options), resources };
}
