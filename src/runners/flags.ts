// Runner flags as the CLI, --help and the flag parser see them: the common scheduler resources, and
// every flag the runners declare (descriptor.ts).
import type { FlagSpec, ResourceKey, RunnerDescriptor } from './descriptor.js';
import { RUNNERS } from './registry.js';

export const RESOURCE_FLAGS: Readonly<Record<ResourceKey, { flag: string; help: string }>> = {
  time: { flag: '--time <duration>', help: 'wallclock limit per partition (e.g. 2:00:00, 90m)' },
  cpusPerTask: { flag: '--cpus-per-task <n>', help: 'CPUs per partition' },
  mem: { flag: '--mem <size>', help: 'memory per partition (e.g. 16G)' },
  gpusPerTask: { flag: '--gpus-per-task <n>', help: 'GPUs per task' },
  gpus: { flag: '--gpus <n>', help: 'GPUs per partition' },
  nodes: { flag: '--nodes <n>', help: 'nodes per partition' },
  account: { flag: '--account <name>', help: 'account to charge' },
  partition: { flag: '--partition <name>', help: 'partition (queue)' },
  qos: { flag: '--qos <name>', help: 'quality of service' },
  constraint: { flag: '--constraint <features>', help: 'node features' },
};

/** `--cpus-per-task <n>` -> `cpusPerTask`, as commander names the option's value. */
export function optionKey(flag: string): string {
  return flag
    .replace(/^--/, '')
    .replace(/\s.*$/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--cpus-per-task <n>` -> `--cpus-per-task`. */
export const flagName = (flag: string): string => flag.replace(/\s.*$/, '');

/** Every flag some runner declares, by option key (a flag several runners share is one entry). */
export function declaredFlags(runners: readonly RunnerDescriptor[] = RUNNERS): Map<string, FlagSpec> {
  const out = new Map<string, FlagSpec>();
  for (const r of runners) {
    for (const [key, spec] of Object.entries(r.flags)) out.set(key, spec);
    if (r.schedulerArgs) out.set(optionKey(r.schedulerArgs.flag), schedulerArgsFlag(r));
  }
  return out;
}

/** The repeatable verbatim-options flag of a runner, as a flag declaration. */
export function schedulerArgsFlag(r: RunnerDescriptor): FlagSpec<'list'> {
  const { flag, command } = r.schedulerArgs!;
  return { flag, kind: 'list', help: `any further ${command} option, verbatim (repeatable)` };
}

/** The flags a runner takes, as they are spelled, for messages and help. */
export function flagsOf(runner: RunnerDescriptor): string[] {
  return [
    '--nprocs',
    '--skip-failures',
    ...Object.values(runner.flags).map((f) => flagName(f.flag)),
    ...(runner.resources ?? []).map((k) => flagName(RESOURCE_FLAGS[k].flag)),
    ...(runner.schedulerArgs ? [flagName(runner.schedulerArgs.flag)] : []),
  ];
}
