// The options every generated run-partition (and run-hosts) command line carries, built here only:
// each runner's scripts, manifests and command lists take them from this one list, so that a new
// run option reaches every runner at once.
import type { CommonOptions } from './render-context.js';

/** `--nprocs P`, `--skip-failures`: as argv words, in this order. */
export function runPartitionArgs(options: CommonOptions): string[] {
  return [
    ...(options.nprocs ? ['--nprocs', String(options.nprocs)] : []),
    ...(options.skipFailures ? ['--skip-failures'] : []),
  ];
}

/** The same as shell text with its leading space, or nothing (the words need no quoting). */
export function runPartitionFlags(options: CommonOptions): string {
  return runPartitionArgs(options)
    .map((w) => ` ${w}`)
    .join('');
}
