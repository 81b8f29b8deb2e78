// Generated from the runners' descriptors by `npm run gen:schemas`: do not edit. run-partition reads
// this table instead of loading every descriptor.
import type { IndexVariable } from '../runners/descriptor.js';

export const RUNNER_INDEX_VARIABLES: readonly IndexVariable[] = [
  {
    name: 'FLUX_JOB_CC',
    oneBased: false,
    scheduler: 'Flux',
  },
  {
    name: 'JOB_COMPLETION_INDEX',
    oneBased: false,
    scheduler: 'Kubernetes',
  },
  {
    name: 'LSB_JOBINDEX',
    oneBased: true,
    scheduler: 'LSF',
  },
  {
    name: 'PBS_ARRAY_INDEX',
    oneBased: false,
    scheduler: 'PBS Pro',
  },
  {
    name: 'PBS_ARRAYID',
    oneBased: false,
    scheduler: 'Torque',
  },
  {
    name: 'SGE_TASK_ID',
    oneBased: true,
    scheduler: 'Grid Engine',
  },
  {
    name: 'SLURM_ARRAY_TASK_ID',
    oneBased: false,
    scheduler: 'Slurm',
  },
];
