// Schedulers cap array indices (Slurm's MaxArraySize is the largest index plus one). A stage with
// more partitions than that is submitted as several arrays, each indexed from 0 and given the
// offset of its first partition (run-partition adds it: --index-offset).

export interface ArrayChunk {
  /** First partition of this array; also the offset added to the array index. */
  offset: number;
  /** Number of elements: indices 0..size-1. */
  size: number;
}

/** Each stage's partitions as arrays, in stage order: what slurm, sge and lsf submit per stage. */
export function stageArrays(
  stages: readonly { index: number; partitions: number }[],
  maxArraySize: number,
  file: (stageIndex: number) => string,
): (ArrayChunk & { stageIndex: number; array: true; file: string })[] {
  return stages.flatMap((s) =>
    arrayChunks(s.partitions, maxArraySize).map((c) => ({
      stageIndex: s.index,
      array: true,
      file: file(s.index),
      ...c,
    })),
  );
}

export function arrayChunks(partitions: number, maxArraySize: number): ArrayChunk[] {
  const chunks: ArrayChunk[] = [];
  for (let offset = 0; offset < partitions; offset += maxArraySize)
    chunks.push({ offset, size: Math.min(maxArraySize, partitions - offset) });
  return chunks;
}

/** An ascending index list in the compact form Slurm and LSF write: `0,4-6,9`. */
export function indexRanges(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let k = 0; k < indices.length;) {
    let j = k;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(j === k ? `${indices[k]}` : `${indices[k]}-${indices[j]}`);
    k = j + 1;
  }
  return parts.join(',');
}
