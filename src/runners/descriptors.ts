// Every runner's descriptor. Adding a runner: its modules, templates/<name>/, golden files, its docs
// page, and one line here.
export { flux } from './flux-descriptor.js';
export { gnuParallel } from './gnu-parallel-descriptor.js';
export { kubernetes } from './kubernetes-descriptor.js';
export { lines } from './lines-descriptor.js';
export { lsf } from './lsf-descriptor.js';
export { pbs } from './pbs-descriptor.js';
export { saturn } from './saturn-descriptor.js';
export { sequential } from './sequential-descriptor.js';
export { sge } from './sge-descriptor.js';
export { slurm } from './slurm-descriptor.js';
export { ssh } from './ssh-descriptor.js';
