// Printing: data to stdout, diagnostics to stderr; tables for people, --json for scripts.

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function note(message: string): void {
  process.stderr.write(`batchplan: ${message}\n`);
}

/** Left-aligned first column, right-aligned numbers; strings in other columns left-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  return (
    cells
      .map((r) =>
        r
          .map((cell, c) =>
            c === r.length - 1 && !numeric[c]
              ? cell
              : numeric[c]
                ? cell.padStart(widths[c]!)
                : cell.padEnd(widths[c]!),
          )
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A one-line progress display on stderr, only when stderr is a terminal. */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;

  update(text: string, force = false): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    process.stderr.write(`\r\x1b[K${text}`);
  }

  done(): void {
    if (this.tty && this.last) process.stderr.write('\r\x1b[K');
  }
}

export function plural(n: number, word: string): string {
  // Not toLocaleString: loading ICU's number formatting costs ~15 ms, at every run-partition start.
  const digits = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${digits} ${word}${n === 1 ? '' : 's'}`;
}
