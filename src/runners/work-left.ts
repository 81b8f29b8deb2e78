// Submit only what is left, per partition: a stage's submissions cut down to the partitions that
// still have work (RenderContext.left), one submission per contiguous range, each with the offset of
// its first partition (as arrays split by the site's size limit already are). Pure; used by
// `batchplan submit` (src/submit/submit.ts) and by every scheduler runner's submit.sh
// (submit-script.ts), so both submit the same ranges.
import type { RenderContext } from './render-context.js';
import type { ArraySubmission, SchedulerAdapter } from './scheduler.js';

export function withWorkLeft(
  ctx: RenderContext,
  scheduler: Pick<SchedulerAdapter, 'minArraySize'>,
  subs: readonly ArraySubmission[],
): ArraySubmission[] {
  if (!ctx.left) return [...subs];
  return subs.flatMap((sub) => {
    const ranges = sub.stageIndex >= 0 ? ctx.left![sub.stageIndex] : undefined;
    if (!ranges) return [sub]; // every partition (or a job of every stage: the allocation layout)
    const end = sub.offset + sub.size;
    return ranges.flatMap(([a, b]): ArraySubmission[] => {
      const from = Math.max(a, sub.offset);
      const to = Math.min(b, end);
      if (to <= from) return [];
      if (from === sub.offset && to === end) return [sub];
      const size = to - from;
      // A one-partition piece of an array is a plain job where the scheduler refuses 1-element arrays.
      return [{ ...sub, offset: from, size, array: sub.array && size >= (scheduler.minArraySize ?? 1) }];
    });
  });
}
