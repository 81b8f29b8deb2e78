// A commands file (one command per line) read as a stream: checked (strict UTF-8), counted and
// hashed in one pass when it is loaded, then read again line by line as the plan writer pulls its
// tasks, so that a million commands are never held at once (the whole text and an object per line
// took 600 MiB for 1,000,000 lines). The second pass hashes again: a file changed in between is an
// error, never a plan of two versions.
import { isUtf8 } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { BatchplanError, SpecError } from '../errors.js';
import { notUtf8Error } from './utf8.js';

export interface CommandsFile {
  /** The one stage it makes. */
  readonly stage: string;
  /** Commands in it: lines that are neither blank nor `#` comments once trimmed. */
  readonly count: number;
  readonly sha256: string;
  /** The commands, trimmed, in file order. Each iteration reads the file again. */
  commands(): Iterable<string>;
  /** The whole text, read again (for API users who ask for it; planning never does). */
  text(): string;
}

const CHUNK = 64 << 10;
/** A line is buffered whole; none longer can be a command (the kernel takes 128 KiB per argument). */
export const MAX_LINE_BYTES = 4 << 20;

/** A source of bytes read front to back: a file (opened afresh for each pass) or bytes in memory. */
type Open = () => { read(into: Buffer, at: number): number; close(): void };

export function commandsFromFile(file: string, stage: string): CommandsFile {
  return scanned(file, stage, () => {
    const fd = openSync(file, 'r');
    return { read: (b, at) => readSync(fd, b, at, b.length - at, null), close: () => closeSync(fd) };
  });
}

export function commandsFromBytes(name: string, bytes: Buffer, stage: string): CommandsFile {
  return scanned(name, stage, () => {
    let pos = 0;
    return {
      read: (b, at) => {
        const n = bytes.copy(b, at, pos);
        pos += n;
        return n;
      },
      close: () => {},
    };
  });
}

function scanned(name: string, stage: string, open: Open): CommandsFile {
  let count = 0;
  const sha256 = scan(name, open, (b, s, e) => {
    if (isCommand(b, s, e)) count++;
  });
  return {
    stage,
    count,
    sha256,
    text() {
      const src = open();
      const parts: Buffer[] = [];
      try {
        for (;;) {
          const b = Buffer.allocUnsafe(CHUNK);
          const n = src.read(b, 0);
          if (n === 0) break;
          parts.push(b.subarray(0, n));
        }
      } finally {
        src.close();
      }
      return Buffer.concat(parts).toString('utf8');
    },
    *commands() {
      const hash = createHash('sha256');
      let k = 0;
      const pending: string[] = [];
      // The scan calls back per line; lines are handed out a chunk at a time.
      const it = chunks(name, open, hash, (b, s, e) => {
        if (!isCommand(b, s, e)) return;
        if (++k > count) throw changed(name);
        pending.push(b.toString('utf8', s, e).trim());
      });
      for (;;) {
        const more = it.next();
        yield* pending;
        pending.length = 0;
        if (more.done) break;
      }
      if (k !== count || hash.digest('hex') !== sha256) throw changed(name);
    },
  };
}

function changed(name: string): BatchplanError {
  return new BatchplanError(
    'E_SPEC_PARSE',
    `${name} changed while it was being planned`,
    'Plan it again once nothing writes to it (nothing was written).',
  );
}

/** One pass over every line; returns the SHA-256 of all the bytes. */
function scan(name: string, open: Open, onLine: OnLine): string {
  const hash = createHash('sha256');
  const it = chunks(name, open, hash, onLine);
  while (!it.next().done);
  return hash.digest('hex');
}

type OnLine = (b: Buffer, start: number, end: number) => void;

/**
 * Reads chunk by chunk, calling `onLine` for each line (without its `\n`) and yielding after each
 * chunk. UTF-8 is checked a run of whole lines at a time: no multi-byte character holds a `\n`.
 */
function* chunks(name: string, open: Open, hash: Hash, onLine: OnLine): Generator<void, void> {
  const src = open();
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let used = 0; // bytes in buf: a partial line carried over, then what was just read
    let base = 0; // file offset of buf[0]
    let line = 1; // line number of buf[0]
    for (;;) {
      const n = src.read(buf, used);
      const eof = n === 0;
      used += n;
      // Whole lines end at the last `\n` (at end of file, the rest is the last line).
      const end = eof ? used : buf.lastIndexOf(10, used - 1) + 1;
      if (end === 0 && !eof) {
        if (used < buf.length) continue;
        if (buf.length >= MAX_LINE_BYTES) throw tooLong(name, line);
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_LINE_BYTES));
        buf.copy(bigger, 0, 0, used);
        buf = bigger;
        continue;
      }
      const whole = buf.subarray(0, end);
      if (!isUtf8(whole)) throw notUtf8Error(name, whole, base);
      hash.update(whole);
      for (let s = 0; s < end;) {
        let e = buf.indexOf(10, s);
        if (e < 0 || e >= end) e = end;
        onLine(buf, s, e);
        s = e + 1;
        line++;
      }
      if (eof) return;
      buf.copy(buf, 0, end, used);
      base += end;
      used -= end;
      yield;
    }
  } finally {
    src.close();
  }
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Whether the line is a command: not blank and not a `#` comment once trimmed as String#trim
 * trims. A line that starts with a non-ASCII byte is decoded to decide (Unicode spaces).
 */
function isCommand(b: Buffer, s: number, e: number): boolean {
  while (s < e && isSpace(b[s]!)) s++;
  if (s === e) return false;
  const c = b[s]!;
  if (c < 0x80) return c !== 0x23;
  const t = b.toString('utf8', s, e).trim();
  return t !== '' && !t.startsWith('#');
}

function tooLong(name: string, line: number): SpecError {
  return new SpecError('E_SPEC_INVALID', [
    {
      location: { file: name, line },
      message: `the line is over ${MAX_LINE_BYTES >> 20} MiB: no command can be that long (the kernel's limit for one argument is 128 KiB); put the long part in a file the command reads`,
    },
  ]);
}
