// The view both local runners (sequential, gnu-parallel) render: stages in order with their
// partition counts and the run-partition arguments they share.
import type { RenderContext } from './runner.js';
import { scriptView } from './script-view.js';

/** `jobs`: partitions at once (gnu-parallel's --jobs). */
export function localView(ctx: RenderContext<object>, jobs?: number) {
  return {
    ...scriptView(ctx),
    nprocs: ctx.options.nprocs ?? null,
    jobs: jobs ?? null,
    stages: ctx.stages.map((s, k) => ({
      ...s,
      number: k + 1,
      last: s.partitions - 1,
      afterText: s.after.join(', '),
    })),
  };
}
