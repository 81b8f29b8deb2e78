// The one shell-quoting helper: every value that reaches a generated script goes through it.

const SAFE = /^[A-Za-z0-9_/.,:=@%+-]+$/;

/** Quote `value` for bash so that it is one word, taken literally. */
export function shellQuote(value: string): string {
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
