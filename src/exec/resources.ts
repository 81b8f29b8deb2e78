// What the allocation grants: CPUs for the default slot count (GPUs: gpu-binding.ts).
import { availableParallelism } from 'node:os';

const CPU_VARIABLES = [
  'SLURM_CPUS_PER_TASK',
  'SLURM_CPUS_ON_NODE',
  'PBS_NCPUS',
  'NCPUS',
  'NSLOTS',
  'LSB_DJOB_NUMPROC',
];

export function allocatedCpus(env: NodeJS.ProcessEnv): number {
  for (const name of CPU_VARIABLES) {
    const n = Number(env[name]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return availableParallelism();
}
