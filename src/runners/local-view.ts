// The view both local runners (sequential, gnu-parallel) render: stages in order with their
// partition counts and the run-partition arguments they share.
import type { RenderContext } from './runner.js';

export function localView(ctx: RenderContext) {
  return {
    version: ctx.batchplanVersion,
    planDir: ctx.planDir,
    n: ctx.n,
    batchplanCommand: ctx.batchplanCommand,
    stageCount: ctx.stages.length,
    nprocs: ctx.options.nprocs ?? null,
    jobs: ctx.options.jobs ?? null,
    stages: ctx.stages.map((s, k) => ({
      ...s,
      number: k + 1,
      last: s.partitions - 1,
      afterText: s.after.join(', '),
    })),
  };
}
