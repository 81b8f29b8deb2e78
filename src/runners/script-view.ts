// What every script template sees about the plan, whatever the runner: one place, so templates of
// all runners name the same things the same way.
import { runPartitionFlags } from './run-partition-flags.js';
import type { RenderContext } from './runner.js';

export function scriptView(ctx: RenderContext<object>) {
  return {
    version: ctx.batchplanVersion,
    planDir: ctx.planDir,
    n: ctx.n,
    batchplanCommand: ctx.batchplanCommand,
    stageCount: ctx.stages.length,
    /** run-partition's (and run-hosts') options (--nprocs, --skip-failures), with a leading space, or nothing. */
    runPartitionFlags: runPartitionFlags(ctx.options),
  };
}
