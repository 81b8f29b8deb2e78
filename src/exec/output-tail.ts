// The bounded output kept per attempt: the last `limit` bytes of a stream, with a note of how much
// earlier output was dropped. Both launchers keep output the same way.

/** The line put before a tail whose earlier bytes were dropped. */
export function droppedNote(dropped: number, limit: number): Buffer {
  return Buffer.from(
    `[batchplan: ${dropped} earlier bytes of output dropped; --log-limit keeps the last ${limit}]\n`,
  );
}

/** `tail` preceded by the note when bytes were dropped. */
export function withDroppedNote(tail: Buffer, dropped: number, limit: number): Buffer {
  return dropped === 0 ? tail : Buffer.concat([droppedNote(dropped, limit), tail]);
}

/** Keeps the last `limit` bytes of a stream and counts what it dropped. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.limit) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  buffer(): Buffer {
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    if (buf.length > this.limit) {
      this.dropped += buf.length - this.limit;
      buf = buf.subarray(buf.length - this.limit);
    }
    return withDroppedNote(buf, this.dropped, this.limit);
  }
}
