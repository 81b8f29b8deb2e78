// Live progress on a stream (stderr): on a terminal the block redraws in place; elsewhere a log line
// is written when something changed, at most one per interval.
//
// Redrawing in place at any width: the cursor goes back up over the rows the previous block takes
// *at the current width* (a line drawn wider than a narrowed terminal wraps onto several rows), then
// everything below is cleared and the new block is written, each line fitted to the width so it
// never wraps itself. The block never ends with a newline, so it never scrolls the screen.
import { renderBlock, renderLogLine, changeKey } from './render.js';
import type { ProgressSnapshot } from './model.js';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface LiveProgressOptions {
  /** Minimum ms between two log lines (not on a terminal). */
  intervalMs?: number;
  /** Minimum ms between two redraws on a terminal. */
  redrawMs?: number;
  now?: () => number;
  /** Force terminal mode on or off (default: the stream's isTTY); NO_COLOR does not matter: no colour is used. */
  tty?: boolean;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export class LiveProgress {
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly redrawMs: number;
  private readonly now: () => number;
  /** The block on screen now (terminal), to know how far up to go. */
  private drawn: string[] = [];
  private lastDraw = -Infinity;
  private lastKey = '';
  private lastLog = -Infinity;
  private pending: ProgressSnapshot | undefined;

  constructor(
    private readonly stream: ProgressStream,
    opts: LiveProgressOptions = {},
  ) {
    this.tty = opts.tty ?? stream.isTTY === true;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.redrawMs = opts.redrawMs ?? 100;
    this.now = opts.now ?? Date.now;
  }

  get isTTY(): boolean {
    return this.tty;
  }

  /** Show a new state (throttled; `force` redraws a terminal now). */
  update(snapshot: ProgressSnapshot, force = false): void {
    const t = this.now();
    if (this.tty) {
      if (!force && t - this.lastDraw < this.redrawMs) return;
      this.lastDraw = t;
      this.draw(renderBlock(snapshot, this.width()));
      return;
    }
    const key = changeKey(snapshot);
    if (key === this.lastKey) return;
    // Off a terminal `force` does not apply: at most one line per interval, whatever happens.
    if (t - this.lastLog < this.intervalMs) {
      this.pending = snapshot; // shown at the next chance, or by finish()
      return;
    }
    this.log(snapshot, key, t);
  }

  /**
   * End the live view: the terminal block is redrawn a last time and left on screen, followed by
   * `lines` (the final summary, the next command to run); off a terminal the last unshown change
   * is logged first.
   */
  finish(snapshot: ProgressSnapshot | undefined, lines: string[] = []): void {
    if (this.tty) {
      if (snapshot) this.draw(renderBlock(snapshot, this.width()));
      if (this.drawn.length) this.stream.write(`\n${SHOW_CURSOR}`);
      this.drawn = [];
    } else if (snapshot) {
      const key = changeKey(snapshot);
      if (key !== this.lastKey) this.log(snapshot, key, this.now());
    } else if (this.pending) this.log(this.pending, changeKey(this.pending), this.now());
    for (const l of lines) this.stream.write(`${l}\n`);
  }

  /** Take the block off the screen (before other output, or on an interrupt). */
  clear(): void {
    if (!this.tty || !this.drawn.length) return;
    this.stream.write(`${this.up()}\r\x1b[J${SHOW_CURSOR}`);
    this.drawn = [];
  }

  private width(): number {
    return this.stream.columns && this.stream.columns > 0 ? this.stream.columns : 80;
  }

  /** Escape sequence that moves from the end of the drawn block to its first row. */
  private up(): string {
    const cols = this.width();
    let rows = 0;
    for (const l of this.drawn) rows += Math.max(1, Math.ceil([...l].length / cols));
    return rows > 1 ? `\x1b[${rows - 1}A` : '';
  }

  private draw(lines: string[]): void {
    const head = this.drawn.length ? `${this.up()}\r\x1b[J` : HIDE_CURSOR;
    this.stream.write(head + lines.join('\n'));
    this.drawn = lines;
  }

  private log(snapshot: ProgressSnapshot, key: string, t: number): void {
    this.stream.write(`batchplan: ${renderLogLine(snapshot)}\n`);
    this.lastKey = key;
    this.lastLog = t;
    this.pending = undefined;
  }
}
