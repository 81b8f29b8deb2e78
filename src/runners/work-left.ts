// Submit only what is left, per partition: a stage's submissions cut down to the partitions that
// still have work (RenderContext.left). A scheduler that takes index lists (Slurm: --array=0,4-6)
// gets one array per stage for them, however scattered (split only where an array's span would
// exceed the largest array the runner made: the site's MaxArraySize); others get one submission per
// contiguous range. Each has the offset of its first partition (as arrays split by the size limit
// already do). Pure; used by `batchplan submit` (src/submit/submit.ts) and by every scheduler
// runner's submit.sh (submit-script.ts), so both submit the same arrays.
import type { RenderContext } from './render-context.js';
import type { ArraySubmission, SchedulerAdapter } from './scheduler.js';

export function withWorkLeft(
  ctx: RenderContext,
  scheduler: Pick<SchedulerAdapter, 'minArraySize' | 'indexLists'>,
  subs: readonly ArraySubmission[],
): ArraySubmission[] {
  if (!ctx.left) return [...subs];
  const pieces = subs.flatMap((sub) => {
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
  return scheduler.indexLists ? asIndexLists(subs, pieces) : pieces;
}

/**
 * The pieces of each stage's arrays merged into as few arrays as their span allows: greedily from
 * the first partition left, every partition left within `span` of it, and so on.
 */
function asIndexLists(subs: readonly ArraySubmission[], pieces: ArraySubmission[]): ArraySubmission[] {
  const out: ArraySubmission[] = [];
  for (const piece of pieces) {
    const prev = out.at(-1);
    const span = Math.max(...subs.filter((s) => s.stageIndex === piece.stageIndex).map((s) => s.size));
    const end = piece.offset + piece.size;
    if (
      !prev ||
      !prev.array ||
      !piece.array ||
      prev.stageIndex !== piece.stageIndex ||
      piece.stageIndex < 0
    ) {
      out.push(piece);
      continue;
    }
    // The part of this piece that still fits the previous array's span; the rest starts a new one.
    const fits = Math.min(end, prev.offset + span);
    if (fits > piece.offset) {
      const listed = prev.indices ?? Array.from({ length: prev.size }, (_, e) => e);
      const added = Array.from({ length: fits - piece.offset }, (_, e) => piece.offset + e - prev.offset);
      out[out.length - 1] = { ...prev, size: fits - prev.offset, indices: [...listed, ...added] };
    }
    if (fits < end) out.push({ ...piece, offset: fits, size: end - fits });
  }
  // A list that turned out contiguous is a plain range again.
  return out.map((s) => (s.indices && s.indices.length === s.size ? withoutIndices(s) : s));
}

function withoutIndices({ indices: _, ...s }: ArraySubmission): ArraySubmission {
  return s;
}
