// Plans from spec text, for the partition tests: each spec and plan a new file in one scratch dir.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, scratch } from '../helpers.js';

export function specs(prefix: string) {
  const dir = scratch(prefix);
  let k = 0;
  /** Write `text` to a new spec file; its path. */
  const write = (text: string, ext = 'yaml') => {
    const file = join(dir, `spec-${++k}.${ext}`);
    writeFileSync(file, text);
    return file;
  };
  return {
    dir,
    write,
    /** `plan` of a good spec: the plan directory. */
    planOf(yaml: string): string {
      const plan = join(dir, `p-${++k}.plan`);
      const r = cli(['plan', write(yaml), '-o', plan]);
      expect(r.code, r.stderr).toBe(0);
      return plan;
    },
    /** `plan` of a bad spec: the error text, and the proof nothing was written. */
    refused(yaml: string): string {
      const out = join(dir, `bad-${++k}.plan`);
      const r = cli(['plan', write(yaml), '-o', out]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('E_SPEC_INVALID');
      expect(existsSync(out), 'nothing written').toBe(false);
      return r.stderr;
    },
  };
}

export const planJson = (plan: string) => JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
