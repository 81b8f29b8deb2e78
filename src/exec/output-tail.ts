// The bounded output kept per attempt: the last `limit` bytes of a stream, with a note of how much
// earlier output was dropped. Both launchers keep output the same way.

/** After a task exits, how long to wait for pipes held open by children it left behind. */
export const PIPE_DRAIN_MS = 2000;

/** Keeps the last `limit` bytes of a stream and counts what it dropped. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  /** `sink` sees every chunk, uncut (a task hook's own copy of the output, see task-hook.ts). */
  constructor(
    private readonly limit: number,
    private readonly sink?: (b: Buffer) => void,
  ) {}

  push(b: Buffer): void {
    this.sink?.(b);
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
    if (this.dropped === 0) return buf;
    const note = `[batchplan: ${this.dropped} earlier bytes of output dropped; --log-limit keeps the last ${this.limit}]\n`;
    return Buffer.concat([Buffer.from(note), buf]);
  }
}
