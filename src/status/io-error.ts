// File-system errors as E_IO naming the file; a full disk (ENOSPC, EDQUOT) says what to do.
import { BatchplanError } from '../errors.js';

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function ioError(path: string, what: string, err: unknown): BatchplanError {
  const e = err as NodeJS.ErrnoException;
  if (isDiskFull(err)) {
    const full = new BatchplanError(
      'E_IO',
      `${what} ${path}: the file system is full (${e.code})`,
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
