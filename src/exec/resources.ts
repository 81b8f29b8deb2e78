// What the allocation grants: CPUs for the default slot count, GPUs for --bind-gpus.
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

/** GPU ids the allocation grants, in order; empty when none are visible. */
export function allocatedGpus(env: NodeJS.ProcessEnv): string[] {
  for (const name of ['CUDA_VISIBLE_DEVICES', 'SLURM_STEP_GPUS', 'SLURM_JOB_GPUS', 'GPU_DEVICE_ORDINAL']) {
    const value = env[name]?.trim();
    if (value && value !== 'NoDevFiles')
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
  return [];
}

/**
 * CUDA_VISIBLE_DEVICES for each of `slots` slots: GPUs dealt round-robin when there are at least as
 * many GPUs as slots, otherwise slots share GPUs (slot k gets GPU k mod #gpus).
 */
export function gpusPerSlot(gpus: string[], slots: number): string[] {
  return Array.from({ length: slots }, (_, k) =>
    gpus.length >= slots ? gpus.filter((_, g) => g % slots === k).join(',') : (gpus[k % gpus.length] ?? ''),
  );
}
