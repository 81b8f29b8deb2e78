// Strict UTF-8 for what the user wrote: a bad byte would otherwise become U+FFFD, and a different
// command would run. The error gives the offset of the first bad byte.
import { BatchplanError } from '../errors.js';

/** `base`: the file offset of `bytes[0]` (a file checked a chunk at a time). */
export function notUtf8Error(file: string, bytes: Uint8Array, base = 0): BatchplanError {
  const at = firstInvalidUtf8(bytes);
  return new BatchplanError(
    'E_SPEC_PARSE',
    `spec ${file} is not valid UTF-8: byte ${base + at} (0x${bytes[at]!.toString(16).padStart(2, '0')}) starts no valid character`,
    'Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), and check that the command is what you meant.',
  );
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const need =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    // Overlong forms, surrogates and code points above U+10FFFF are ruled out by the second byte.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return b.length;
}
