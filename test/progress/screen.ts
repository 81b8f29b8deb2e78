// A small terminal for tests: applies what a program wrote (text, CR, LF, and the few CSI sequences
// a progress view uses: cursor up, erase line, erase below, cursor show/hide) to a grid of rows, as
// a rewrapping terminal would, and tells how many rows scrolled off and how wide any row got.
export class Screen {
  /** Logical rows; `wrapped[k]` marks row k as the continuation of row k - 1. */
  rows: string[][] = [[]];
  wrapped: boolean[] = [false];
  row = 0;
  col = 0;

  constructor(public cols: number) {}

  write(data: string): this {
    const chars = [...data];
    for (let k = 0; k < chars.length; k++) {
      const ch = chars[k]!;
      if (ch === '\x1b') {
        const m = /^\[(\??)(\d*)([A-Za-z])/.exec(chars.slice(k + 1, k + 12).join(''));
        if (!m) throw new Error(`unknown escape at ${k}: ${JSON.stringify(chars.slice(k, k + 8).join(''))}`);
        k += m[0].length;
        this.csi(m[1]!, m[2] === '' ? 0 : Number(m[2]), m[3]!);
      } else if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.newline(false);
      else {
        if (this.col >= this.cols) {
          this.newline(true);
        }
        const r = this.rows[this.row]!;
        while (r.length < this.col) r.push(' ');
        r[this.col++] = ch;
      }
    }
    return this;
  }

  private newline(wrap: boolean): void {
    this.row++;
    this.col = 0;
    if (this.row >= this.rows.length) {
      this.rows.push([]);
      this.wrapped.push(wrap);
    } else if (wrap) this.wrapped[this.row] = true;
  }

  private csi(private_: string, n: number, cmd: string): void {
    if (private_ === '?') return; // cursor show/hide
    if (cmd === 'A') this.row = Math.max(0, this.row - Math.max(1, n));
    else if (cmd === 'K') this.rows[this.row]!.splice(n === 2 ? 0 : this.col);
    else if (cmd === 'J') {
      this.rows[this.row]!.splice(this.col);
      this.rows.splice(this.row + 1);
      this.wrapped.splice(this.row + 1);
    } else throw new Error(`unsupported CSI ${cmd}`);
  }

  /** A rewrapping terminal made narrower or wider: logical lines are laid out again. */
  resize(cols: number): void {
    const lines: string[][] = [];
    this.rows.forEach((r, k) => {
      if (k > 0 && this.wrapped[k]) lines[lines.length - 1]!.push(...r);
      else lines.push([...r]);
    });
    const cursorLine =
      this.rows.slice(0, this.row + 1).filter((_, k) => k === 0 || !this.wrapped[k]).length - 1;
    this.cols = cols;
    this.rows = [];
    this.wrapped = [];
    lines.forEach((l, k) => {
      const parts = [];
      for (let p = 0; p < Math.max(1, l.length); p += cols) parts.push(l.slice(p, p + cols));
      parts.forEach((p, j) => {
        this.rows.push(p);
        this.wrapped.push(j > 0);
      });
      if (k === cursorLine) {
        this.row = this.rows.length - 1;
        this.col = this.rows[this.row]!.length;
      }
    });
  }

  /** Logical lines: wrapped rows joined back. */
  lines(): string[] {
    const out: string[] = [];
    this.rows.forEach((r, k) => {
      if (k > 0 && this.wrapped[k]) out[out.length - 1] += r.join('');
      else out.push(r.join(''));
    });
    return out.map((l) => l.trimEnd());
  }

  text(): string[] {
    return this.rows.map((r) => r.join('').trimEnd());
  }
}
