// File-system errors as E_IO naming the file; a full disk (ENOSPC, EDQUOT) says what to do.
import { constants } from 'node:os';
import { BatchplanError } from '../errors.js';

const EDQUOT = constants.errno.EDQUOT;

/** The error's code; libuv has no name for EDQUOT, so Node says UNKNOWN (errno -122 on Linux). */
function codeOf(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'UNKNOWN' && EDQUOT !== undefined && Math.abs(e.errno ?? 0) === EDQUOT) return 'EDQUOT';
  return e?.code;
}

export function isDiskFull(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function ioError(path: string, what: string, err: unknown): BatchplanError {
  const e = err as NodeJS.ErrnoException;
  if (isDiskFull(err)) {
    const full = new BatchplanError(
      'E_IO',
      `${what} ${path}: the file system is full (${codeOf(err)})`,
      'What finished was recorded. Free space (or raise the quota) and run the same command again: what succeeded is not run again.',
    );
    full.cause = err;
    return full;
  }
  const out = new BatchplanError(
    'E_IO',
    `${what} ${path}: ${e.code ? `${e.code} (${e.message})` : String(err)}`,
  );
  out.cause = err;
  return out;
}
