// Counts in messages: thousands separated as people read them, singular for one.
import { describe, expect, it } from 'vitest';
import { plural } from '../../src/commands/output.js';

describe('plural', () => {
  it.each([
    [0, '0 tasks'],
    [1, '1 task'],
    [999, '999 tasks'],
    [1000, '1,000 tasks'],
    [12345, '12,345 tasks'],
    [1234567, '1,234,567 tasks'],
  ])('%d → %s', (n, text) => expect(plural(n, 'task')).toBe(text));
});
