// One shell command line per partition: `batchplan run-partition [--nprocs P] [--skip-failures] --
// PLAN STAGE N i`, every value quoted, stages in plan order.
import { runPartitionFlags } from './run-partition-flags.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { shellQuote } from '../util/shell-quote.js';

export function render(ctx: RenderContext): RenderedFile[] {
  const flags = runPartitionFlags(ctx.options);
  const text = ctx.stages
    .flatMap((s) =>
      Array.from(
        { length: s.partitions },
        (_, i) =>
          `${ctx.batchplanCommand} run-partition${flags} -- ${shellQuote(ctx.planDir)} ${shellQuote(s.name)} ${ctx.n} ${i}\n`,
      ),
    )
    .join('');
  return [{ path: 'partitions.txt', content: text, executable: false }];
}
