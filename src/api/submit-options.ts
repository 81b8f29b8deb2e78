// submit's options in code: `{ runner: 'slurm', partitions: 4, time: '1:00:00', maxRunning: 8 }`,
// each runner's options typed from the flags its descriptor declares (so an option of another
// runner, or a typo, is a compile error), and checked again at run time (a program in plain
// JavaScript gets an error naming the option and the runner). They become the flags `batchplan
// submit` parses (runner-flags.ts), which checks them against the runner's zod schema.
import { usageError } from '../errors.js';
import type { RunnerFlags } from '../commands/runner-flags.js';
import type { Resources } from '../plan/model.js';
import type { FlagSpec, ResourceKey, RunnerDescriptor } from '../runners/descriptor.js';
import type * as descriptors from '../runners/descriptors.js';
import { optionKey } from '../runners/flags.js';
import { getRunner, RUNNERS } from '../runners/registry.js';
import { didYouMean } from '../util/did-you-mean.js';

/** The scheduler resources, as the plan keeps them, but the time limit as the --time flag gives it. */
export type ResourceOptions = Omit<Resources, 'time' | 'runners'> & {
  /** Wallclock limit per partition: '2:00:00', '90m'; a bare number is minutes (as sbatch). */
  time?: string | number;
};
// Every resource key is an option above, and nothing else is (a compile error otherwise).
type SameKeys<A, B> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : never;
const resourceKeysMatch: SameKeys<keyof ResourceOptions, ResourceKey> = true;
void resourceKeysMatch;

/** The runners `submit` can submit to, with the option key of their verbatim scheduler arguments. */
export interface SubmitRunners {
  slurm: { descriptor: typeof descriptors.slurm; args: 'sbatchArg' };
  pbs: { descriptor: typeof descriptors.pbs; args: 'qsubArg' };
  sge: { descriptor: typeof descriptors.sge; args: 'qsubArg' };
}
export type SubmitRunner = keyof SubmitRunners;

/** The same table as a value, for the test that keeps it equal to the descriptors (canSubmit, schedulerArgs). */
export const SUBMIT_RUNNER_ARGS: { [R in SubmitRunner]: SubmitRunners[R]['args'] } = {
  slurm: 'sbatchArg',
  pbs: 'qsubArg',
  sge: 'qsubArg',
};

type ValueOf<F> = F extends { kind: 'choice'; choices?: readonly (infer C)[] }
  ? C
  : F extends { kind: 'int' }
    ? number
    : F extends { kind: 'duration' }
      ? number | string
      : F extends { kind: 'list' }
        ? readonly string[]
        : F extends { kind: 'boolean' }
          ? boolean
          : string;

type FlagsOf<D> = D extends RunnerDescriptor<infer F> ? F : never;

/** The options of one runner's own flags (`--max-running 8` is `maxRunning: 8`). */
export type RunnerFlagOptions<R extends SubmitRunner> = {
  -readonly [K in keyof FlagsOf<SubmitRunners[R]['descriptor']>]?: ValueOf<
    FlagsOf<SubmitRunners[R]['descriptor']>[K]
  >;
};

/** What `BatchPlan.submit` takes for runner `R`: the flags of `batchplan submit --runner R`, camel-cased. */
export type SubmitOptionsFor<R extends SubmitRunner> = {
  runner: R;
  /** Partitions per stage (N of `batchplan submit PLAN N`); a stage's own `partitions` wins. */
  partitions: number;
  /** Tasks run at once in each partition. */
  nprocs?: number;
  /** --skip-failures: leave failed tasks alone; a partition whose only unfinished tasks failed is not submitted. */
  skipFailures?: boolean;
  /** How the scripts call batchplan (default: this batchplan). */
  batchplanCommand?: string;
} & ResourceOptions &
  RunnerFlagOptions<R> & { [K in SubmitRunners[R]['args']]?: readonly string[] };

/** `submit`'s options, one shape per runner (the `runner` key says which). */
export type SubmitOptions = { [R in SubmitRunner]: SubmitOptionsFor<R> }[SubmitRunner];

const INT_RESOURCES: readonly string[] = ['cpusPerTask', 'gpusPerTask', 'gpus', 'nodes'];

/** The options as `batchplan submit`'s parsed command line, checked key by key against the runner. */
export function submitFlags(opts: SubmitOptions): { n: number; flags: RunnerFlags } {
  const {
    runner: name,
    partitions,
    ...rest
  } = opts as unknown as Record<string, unknown> & {
    runner: string;
    partitions: unknown;
  };
  const runner = getRunner(String(name));
  if (!runner.capabilities.canSubmit)
    throw usageError(
      `runner '${runner.name}' cannot submit`,
      `Runners that can: ${RUNNERS.filter((r) => r.capabilities.canSubmit)
        .map((r) => r.name)
        .join(', ')}.`,
    );
  const what = (key: string) => `submit option '${key}' of runner '${runner.name}'`;
  const positive = (key: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw usageError(`${what(key)}: expected a positive integer, not ${JSON.stringify(v)}`);
  };
  positive('partitions', partitions);
  // Every key the runner takes, with its kind.
  const kinds = new Map<string, FlagSpec['kind'] | 'resource'>([
    ['nprocs', 'int'],
    ['skipFailures', 'boolean'],
    ['batchplanCommand', 'string'],
    ...Object.entries(runner.flags).map(([k, f]) => [k, f.kind] as const),
    ...(runner.resources ?? []).map((k) => [k, 'resource'] as const),
    ...(runner.schedulerArgs ? [[optionKey(runner.schedulerArgs.flag), 'list'] as const] : []),
  ]);
  const flags: RunnerFlags = { runner: runner.name };
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    const kind = kinds.get(key);
    if (!kind)
      throw usageError(
        `runner '${runner.name}' has no submit option '${key}'${didYouMean(key, kinds.keys())}`,
        `Runner '${runner.name}' takes: partitions, ${[...kinds.keys()].join(', ')}.`,
      );
    const isInt = kind === 'int' || (kind === 'resource' && INT_RESOURCES.includes(key));
    if (isInt) positive(key, value);
    else if (kind === 'list') {
      if (!Array.isArray(value) || value.some((a) => typeof a !== 'string'))
        throw usageError(`${what(key)}: expected a list of strings, not ${JSON.stringify(value)}`);
    } else if (kind === 'boolean') {
      if (typeof value !== 'boolean')
        throw usageError(`${what(key)}: expected true or false, not ${JSON.stringify(value)}`);
    } else if (kind === 'duration' || key === 'time') {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw usageError(
          `${what(key)}: expected a duration ('90s', '2:00:00'), not ${JSON.stringify(value)}`,
        );
    } else if (typeof value !== 'string')
      throw usageError(`${what(key)}: expected a string, not ${JSON.stringify(value)}`);
    flags[key] = kind === 'list' ? [...(value as string[])] : kind === 'boolean' ? value : String(value);
  }
  return { n: partitions as number, flags };
}
