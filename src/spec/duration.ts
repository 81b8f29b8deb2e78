import { BatchplanError } from '../errors.js';

/** The longest duration accepted anywhere (timeouts, grace, intervals): 100 years, in seconds. */
export const MAX_DURATION_S = 100 * 365 * 86400;

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds from `90`, …, as below, or undefined when the text is not a duration or is over
 * MAX_DURATION_S (1e20 seconds would overflow every timer and scheduler limit).
 */
export function parseDuration(value: string | number): number | undefined {
  const secs = parseAnyDuration(value);
  return secs !== undefined && secs <= MAX_DURATION_S ? secs : undefined;
}

/**
 * Seconds from `90`, `90s`, `10m`, `1h30m`, `1.5h`, `2:00:00` (h:mm:ss), `05:00` (mm:ss),
 * `1-00:00:00` or `1-12:00` (Slurm's d-hh:mm:ss and d-hh:mm). Returns undefined when the text is
 * not a duration.
 */
function parseAnyDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value > 0 && Number.isFinite(value) ? value : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) || undefined;
  const clock = /^(?:(\d+)-)?(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (clock) {
    const [, d, a, b, c] = clock;
    // With a day part the clock is Slurm's hh:mm[:ss]; without one, two fields are mm:ss.
    const secs =
      c === undefined && d === undefined
        ? Number(a) * 60 + Number(b)
        : Number(d ?? 0) * 86400 + Number(a) * 3600 + Number(b) * 60 + Number(c ?? 0);
    return secs > 0 ? secs : undefined;
  }
  const parts = text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g);
  let total = 0;
  let consumed = '';
  for (const [whole, n, unit] of parts) {
    total += Number(n) * UNIT_SECONDS[unit!]!;
    consumed += whole;
  }
  if (consumed.replace(/\s/g, '') !== text.replace(/\s/g, '') || total <= 0) return undefined;
  return total;
}

/** A scheduler time limit: like parseDuration, but a bare number means minutes, as in sbatch/qsub. */
export function parseTimeLimit(value: string | number): number | undefined {
  if (typeof value === 'number' || /^\d+$/.test(value.trim())) return parseDuration(Number(value) * 60);
  return parseDuration(value);
}

/** Like parseDuration, for command-line flags: a bad value is a usage error naming the flag. */
export function durationFlag(flag: string, value: string): number {
  const secs = parseDuration(value);
  if (secs === undefined)
    throw new BatchplanError(
      'E_USAGE',
      `${flag}: '${value}' is not a duration`,
      'Use e.g. 30s, 10m, 1h30m or 2:00:00 (at most 100 years).',
    );
  return secs;
}
