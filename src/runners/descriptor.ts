// A runner's descriptor: everything the CLI, the spec and plan schemas, --help and run-partition's
// `auto` index need to know about it, as plain data. Cheap to import (no Handlebars, yaml or zod):
// the CLI entry and run-partition load every descriptor. The renderer is loaded only when used.
import type { z } from 'zod';
import type { RenderContext, RenderedFile, RunnerOptions } from './render-context.js';
import type { ArraySubmission, SchedulerAdapter } from './scheduler.js';

/** How a flag's text becomes a value (parsers: runner-flags.ts), and its value's type (options-schema.ts). */
export type FlagKind = 'int' | 'string' | 'duration' | 'list' | 'boolean' | 'choice';

export interface FlagSpec<K extends FlagKind = FlagKind, C extends string = string> {
  /** commander's spelling: `--max-running <K>`, `--spot`. */
  flag: string;
  kind: K;
  help: string;
  choices?: readonly C[];
  /** Applied when the runner takes the flag and it is not given (flag text, parsed as given). */
  default?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<F> = F extends { kind: 'choice'; choices?: readonly (infer C)[] }
  ? C
  : F extends { kind: 'int' | 'duration' }
    ? number
    : F extends { kind: 'list' }
      ? string[]
      : F extends { kind: 'boolean' }
        ? boolean
        : string;

/** The options a runner's flags produce, typed from the flag declarations (declared once). */
export type OptionsOf<F extends FlagSpecs> = string extends keyof F
  ? RunnerOptions
  : { -readonly [K in keyof F]?: ValueOf<F[K]> };

export const int = (flag: string, help: string): FlagSpec<'int'> => ({ flag, kind: 'int', help });
export const str = (flag: string, help: string): FlagSpec<'string'> => ({ flag, kind: 'string', help });
export const list = (flag: string, help: string): FlagSpec<'list'> => ({ flag, kind: 'list', help });
export const bool = (flag: string, help: string): FlagSpec<'boolean'> => ({ flag, kind: 'boolean', help });
export const duration = (flag: string, help: string, dflt?: string): FlagSpec<'duration'> => ({
  flag,
  kind: 'duration',
  help,
  ...(dflt === undefined ? {} : { default: dflt }),
});
export const choice = <const C extends string>(
  flag: string,
  choices: readonly C[],
  help: string,
  dflt?: C,
): FlagSpec<'choice', C> => ({
  flag,
  kind: 'choice',
  choices,
  help,
  ...(dflt === undefined ? {} : { default: dflt }),
});

/** An environment variable a scheduler sets to the array index (run-partition reads it with `auto`). */
export interface IndexVariable {
  name: string;
  /** Whether it counts from one (run-partition converts; templates never do). */
  oneBased: boolean;
  /** Who sets it, for messages. */
  scheduler: string;
}

export interface RunnerCapabilities {
  /** Variables the scheduler sets to the array index, the runner's own first. */
  indexVariables?: readonly IndexVariable[];
  /** Whether the scheduler's array index counts from one (as its submission ranges do). */
  oneBased: boolean;
  /** Largest array the scheduler accepts by default; more partitions are split (schedulers only). */
  maxArraySize?: number;
  /** Whether batchplan can submit, watch and cancel what this runner renders. */
  canSubmit: boolean;
  /** Whether running the entry file runs the partitions on this machine (no scheduler in between). */
  runsLocally: boolean;
  /** The entry file is only commands, one line per partition (no script, no shebang). */
  commandList?: boolean;
}

export interface SchedulerArgs {
  /** The repeatable flag that adds one (`--sbatch-arg <arg>`); several runners may share one. */
  flag: string;
  /** The scheduler command, for help text (`sbatch`). */
  command: string;
  /** The spec's older key for these args (`sbatch_args`), still read. */
  legacySpecKey?: string;
}

/** The resource keys every scheduler understands (resource-flags.ts declares their flags). */
export type ResourceKey =
  | 'time'
  | 'cpusPerTask'
  | 'mem'
  | 'gpusPerTask'
  | 'gpus'
  | 'nodes'
  | 'account'
  | 'partition'
  | 'qos'
  | 'constraint';

/** What is loaded only when a runner renders or submits (it may pull in Handlebars, yaml, zod). */
export interface RunnerImpl<F extends FlagSpecs = FlagSpecs> {
  /** Pure: the files to write. The first one is the entry point (printed when there is no -o). */
  render(ctx: RenderContext<OptionsOf<F>>): RenderedFile[];
  /** What to submit, in order (files from render). Required when the runner can submit. */
  submissions?(ctx: RenderContext<OptionsOf<F>>): ArraySubmission[];
}

/** A runner's row in the README's runner table (Markdown; scripts/gen/runner-docs.ts renders it). */
export interface RunnerTableRow {
  /** What generate-script renders. */
  renders: string;
  /** How to run it. */
  run: string;
  /** How a stage waits for the stages it follows. */
  stageOrder: string;
  /**
   * How a stage waits for one it needs task by task (`requires`, docs/dependencies.md): per
   * partition, per pair of equal partitions, or the stage barrier.
   */
  requires: string;
  /** How it is tested. */
  tested: string;
}

export interface RunnerDescriptor<F extends FlagSpecs = FlagSpecs> {
  name: string;
  summary: string;
  table: RunnerTableRow;
  capabilities: RunnerCapabilities;
  /** Flags of this runner beyond the common ones (--runner, --nprocs, --batchplan-command). */
  flags: F;
  /**
   * The zod schema of its options: `base` is the one its flags declare (each flag's type, strict, in
   * options-schema.ts); add what the flags alone cannot say (a required flag, a rule between two).
   * zod is handed in, so this module stays free of it. Flags and API options are checked against it.
   */
  options?: (zod: typeof z, base: z.ZodObject) => z.ZodType;
  /** The common resource flags it honours (--time, --cpus-per-task, …); none when absent. */
  resources?: readonly ResourceKey[];
  /** Its verbatim scheduler options: the flag, and the spec setting `resources.<name>.args`. */
  schedulerArgs?: SchedulerArgs;
  /**
   * Where partitions run in a container or on machines of their own (no shared file system with this
   * one): the batchplan command there, used unless --batchplan-command is given.
   */
  remoteBatchplanCommand?: string;
  /** For runners that can submit: how to talk to the scheduler (pure argv builders and parsers). */
  scheduler?: SchedulerAdapter;
  /** The renderer, loaded on first use. */
  load(): Promise<RunnerImpl<F>>;
}

/** Every resource key, in the order flags and help list them. */
export const ALL_RESOURCES: readonly ResourceKey[] = [
  'time',
  'cpusPerTask',
  'mem',
  'gpusPerTask',
  'gpus',
  'nodes',
  'account',
  'partition',
  'qos',
  'constraint',
];

/** Type a descriptor's flags once, so that its renderer sees typed options. */
export const defineRunner = <const F extends FlagSpecs>(d: RunnerDescriptor<F>): RunnerDescriptor<F> => d;
