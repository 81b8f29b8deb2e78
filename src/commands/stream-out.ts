// Output too big to build as one string (a million-row listing): written in pieces, waiting for
// the stream to drain, plus the two halves of `table()` (./output.ts) for rows seen twice: once to
// measure the columns, once to print them, byte for byte what `table()` prints.

export class StreamOut {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    /** Applied to each piece before it is written (e.g. escaping for a terminal). */
    private readonly filter: (s: string) => string | Buffer = (s) => s,
  ) {}

  async write(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(this.filter(text)))
      await new Promise<void>((res) => this.stream.once('drain', res));
  }
}

/** Column widths and kinds of a table, from its header and every row (the first pass). */
export class TableShape {
  readonly widths: number[];
  readonly numeric: boolean[];
  private rows = 0;

  constructor(readonly header: string[]) {
    this.widths = header.map((h) => h.length);
    this.numeric = header.map(() => true);
  }

  measure(row: (string | number)[]): void {
    this.rows++;
    row.forEach((v, c) => {
      if (typeof v !== 'number') this.numeric[c] = false;
      const n = String(v).length;
      if (n > this.widths[c]!) this.widths[c] = n;
    });
  }

  /** One line, newline included, as `table()` lays it out. */
  line(row: (string | number)[]): string {
    return (
      row
        .map((v, c) => {
          const cell = String(v);
          const numeric = this.rows > 0 && this.numeric[c];
          return c === row.length - 1 && !numeric
            ? cell
            : numeric
              ? cell.padStart(this.widths[c]!)
              : cell.padEnd(this.widths[c]!);
        })
        .join('  ')
        .trimEnd() + '\n'
    );
  }
}
