// Parsing of the few argument kinds commands share.
import { usageError } from '../errors.js';

export function positiveInt(what: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw usageError(
      `${what} must be a positive integer, got '${value}'`,
      what === 'N' ? 'N is the number of partitions per stage, e.g. 4.' : undefined,
    );
  return Number(value);
}

export function optionalPositiveInt(what: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : positiveInt(what, value);
}
