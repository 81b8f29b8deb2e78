// The README's runner table and docs/runners/README.md's list of pages are generated from the
// registry (scripts/gen/runner-docs.ts, written by `npm run gen:schemas`): this fails when a runner
// or its descriptor changed and they were not regenerated.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readmeWithRunners,
  runnerDocsWithPages,
  runnerTable,
  withSection,
} from '../../scripts/gen/runner-docs.js';
import { RUNNERS } from '../../src/runners/registry.js';
import { ROOT } from '../helpers.js';

const REGENERATE = 'out of date: run `npm run gen:schemas` and review the diff';

describe('runner docs from the descriptors', () => {
  it('the README table is the generated one', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8'), REGENERATE).toBe(readmeWithRunners());
  });

  it('docs/runners/README.md lists the generated pages', () => {
    expect(readFileSync(join(ROOT, 'docs/runners/README.md'), 'utf8'), REGENERATE).toBe(
      runnerDocsWithPages(),
    );
  });

  it('has one row and one page per runner, Flux included', () => {
    const table = runnerTable().split('\n').slice(2);
    expect(table).toHaveLength(RUNNERS.length);
    for (const r of RUNNERS) {
      expect(
        table.some((row) => row.startsWith(`| [\`${r.name}\`]`)),
        r.name,
      ).toBe(true);
      expect(existsSync(join(ROOT, 'docs', 'runners', `${r.name}.md`)), `docs/runners/${r.name}.md`).toBe(
        true,
      );
    }
    expect(table.find((row) => row.includes('`flux`'))).toContain('`FLUX_JOB_CC`');
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    const text = 'a\n<!-- x:begin note -->\nold\n<!-- x:end -->\nb\n';
    expect(withSection(text, 'x', 'new')).toBe('a\n<!-- x:begin note -->\nnew\n<!-- x:end -->\nb\n');
    expect(() => withSection('a\n', 'x', 'new')).toThrow(/no <!-- x:begin/);
  });
});
