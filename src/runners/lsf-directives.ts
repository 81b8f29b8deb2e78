// Resources -> bsub options, in one fixed order. LSF reads `#BSUB` lines of a script submitted on
// standard input (`bsub < script`) as it reads its command line; values are quoted with the one
// shell-quoting helper.
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { shellQuote } from '../util/shell-quote.js';
import { argsDirective, partitionGpus } from './directives.js';
import { JOBS_DIR } from './scheduler.js';

/** LSF's run limit (-W): [hours:]minutes, rounded up to whole minutes. */
export function lsfRunLimit(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}` : String(m);
}

/** LSF's -R string for a partition: host selection, memory reservation, one host for its CPUs. */
export function resourceRequirement(r: Resources): string | undefined {
  const sections = [
    r.constraint === undefined ? undefined : `select[${r.constraint}]`,
    r.mem === undefined ? undefined : `rusage[mem=${String(r.mem).replace(/\s+/g, '')}]`,
    (r.cpusPerTask ?? 1) > 1 ? 'span[hosts=1]' : undefined,
  ].filter((s) => s !== undefined);
  return sections.length ? sections.join(' ') : undefined;
}

/** bsub options for resources, in a fixed order, then the verbatim args (directives.ts). */
export function resourceOptions(r: Resources): string[] {
  if (r.qos !== undefined)
    throw usageError(
      `LSF has no quality of service (qos '${r.qos}')`,
      'Use a queue (--partition) or --bsub-arg, or remove qos from the spec for this runner.',
    );
  if (r.nodes !== undefined && r.nodes > 1)
    throw usageError(
      `a partition runs on one host; LSF cannot honour nodes: ${r.nodes}`,
      'Remove nodes from the spec or flags for this runner.',
    );
  const gpus = partitionGpus(r);
  const requirement = resourceRequirement(r);
  const opts: [string, string | undefined][] = [
    ['-P', r.account === undefined ? undefined : shellQuote(r.account)],
    ['-R', requirement === undefined ? undefined : shellQuote(requirement)],
    ['-W', r.time === undefined ? undefined : lsfRunLimit(r.time)],
    ['-gpu', gpus === undefined ? undefined : shellQuote(`num=${gpus}`)],
    ['-n', r.cpusPerTask === undefined ? undefined : String(r.cpusPerTask)],
    ['-q', r.partition === undefined ? undefined : shellQuote(r.partition)],
  ];
  return [
    ...opts.filter(([, v]) => v !== undefined).map(([flag, v]) => `${flag} ${v}`),
    ...argsDirective(r, 'lsf'),
  ];
}

/** A job name LSF and people can read: the stage name with odd characters replaced. */
export function lsfJobName(stageIndex: number, stage: string): string {
  return `bp${stageIndex}-${stage.replace(/[^A-Za-z0-9_.-]+/g, '_')}`.slice(0, 64);
}

/** `name[first-last]%K`: the array's indices (LSF counts from one) and its throttle. */
export function arrayName(name: string, size: number, maxRunning?: number): string {
  return `${name}[1-${size}]${maxRunning ? `%${maxRunning}` : ''}`;
}

/** The same for a `#BSUB -J` line (a sanitized name and numbers: double quotes suffice). */
export const arraySpec = (name: string, size: number, maxRunning?: number): string =>
  `"${arrayName(name, size, maxRunning)}"`;

/** LSF expands %J (job id) and %I (array index) in -o and has no escape: a % in the plan path is refused. */
export function lsfOutput(planDir: string, stageIndex: number): string {
  if (planDir.includes('%'))
    throw usageError(
      `the plan path ${planDir} has a %, which LSF's -o could read as %J or %I (it has no escape): the jobs' output would go elsewhere`,
      'Move or re-plan the plan to a path without a %.',
    );
  return shellQuote(`${planDir}/${JOBS_DIR}/stage-${stageIndex}-%J_%I.out`);
}
