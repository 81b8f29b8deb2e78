// Schedulers cap array indices (Slurm's MaxArraySize is the largest index plus one). A stage with
// more partitions than that is submitted as several arrays, each indexed from 0 and given the
// offset of its first partition (run-partition adds it: --index-offset).

export interface ArrayChunk {
  /** First partition of this array; also the offset added to the array index. */
  offset: number;
  /** Number of elements: indices 0..size-1. */
  size: number;
}

export function arrayChunks(partitions: number, maxArraySize: number): ArrayChunk[] {
  const chunks: ArrayChunk[] = [];
  for (let offset = 0; offset < partitions; offset += maxArraySize)
    chunks.push({ offset, size: Math.min(maxArraySize, partitions - offset) });
  return chunks;
}
