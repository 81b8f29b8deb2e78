// Resources -> sbatch options, in one fixed order. Values are shell-quoted: sbatch reads #SBATCH
// lines with shell-like quoting (checked on Slurm 22.05: single quotes, double quotes and '\'' all work).
import { BatchplanError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { shellQuote } from '../util/shell-quote.js';
import { argsDirective, partitionGpus } from './directives.js';
import { JOBS_DIR } from './scheduler.js';

/** Slurm's time format: [D-]HH:MM:SS, rounded up to whole minutes as Slurm would. */
export function slurmTime(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d ? `${d}-${hms}` : hms;
}

/** sbatch options for resources, sorted by option name, then the verbatim args (directives.ts). */
export function resourceOptions(r: Resources): string[] {
  partitionGpus(r);
  const opts: [string, string | number | undefined][] = [
    ['--account', r.account],
    ['--constraint', r.constraint],
    ['--cpus-per-task', r.cpusPerTask],
    ['--gpus', r.gpus],
    ['--gpus-per-task', r.gpusPerTask],
    ['--mem', r.mem],
    ['--nodes', r.nodes],
    ['--partition', r.partition],
    ['--qos', r.qos],
    ['--time', r.time === undefined ? undefined : slurmTime(r.time)],
  ];
  return [
    ...opts.filter(([, v]) => v !== undefined).map(([flag, v]) => `${flag}=${shellQuote(String(v))}`),
    ...argsDirective(r, 'slurm'),
  ];
}

/**
 * Slurm expands %A, %a, %j … in --output; a literal % in the plan path must be doubled. A backslash
 * turns every expansion off (and cannot be escaped), so every array element would fail to launch:
 * refused.
 */
export function outputPattern(planDir: string, file: string): string {
  if (planDir.includes('\\'))
    throw new BatchplanError(
      'E_USAGE',
      `the plan path ${planDir} has a backslash, which Slurm reads in --output as "no replacement": every array element would fail`,
      'Move or re-plan the plan to a path without a backslash.',
    );
  return shellQuote(`${planDir.replace(/%/g, '%%')}/${JOBS_DIR}/${file}`);
}

/** A job name Slurm and people can read: the stage name with odd characters replaced. */
export function jobName(stageIndex: number, stage: string): string {
  return `bp${stageIndex}-${stage.replace(/[^A-Za-z0-9_.-]+/g, '_')}`.slice(0, 64);
}
