// One shell command line per partition: `batchplan run-partition [--nprocs P] -- PLAN STAGE N i`,
// every value quoted, stages in plan order.
import type { RenderContext, RenderedFile } from './runner.js';
import { shellQuote } from '../util/shell-quote.js';

export function render(ctx: RenderContext): RenderedFile[] {
  const nprocs = ctx.options.nprocs ? ` --nprocs ${ctx.options.nprocs}` : '';
  const text = ctx.stages
    .flatMap((s) =>
      Array.from(
        { length: s.partitions },
        (_, i) =>
          `${ctx.batchplanCommand} run-partition${nprocs} -- ${shellQuote(ctx.planDir)} ${shellQuote(s.name)} ${ctx.n} ${i}\n`,
      ),
    )
    .join('');
  return [{ path: 'partitions.txt', content: text, executable: false }];
}
