// Every runner, by name. Adding a runner: its module, templates/<name>/, golden files, one line here.
import { BatchplanError } from '../errors.js';
import { gnuParallel } from './gnu-parallel.js';
import { kubernetes } from './kubernetes.js';
import { lsf } from './lsf.js';
import { pbs } from './pbs.js';
import type { Runner } from './runner.js';
import { saturn } from './saturn.js';
import { sequential } from './sequential.js';
import { sge } from './sge.js';
import { slurm } from './slurm.js';

export const RUNNERS: readonly Runner[] = [sequential, gnuParallel, slurm, lsf, kubernetes, saturn, pbs, sge];

export function getRunner(name: string): Runner {
  const runner = RUNNERS.find((r) => r.name === name);
  if (!runner)
    throw new BatchplanError(
      'E_UNKNOWN_RUNNER',
      `no runner '${name}'`,
      `Runners: ${RUNNERS.map((r) => r.name).join(', ')}`,
    );
  return runner;
}
