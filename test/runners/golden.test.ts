// Golden files: every runner × context renders to exactly the bytes under
// test/golden/<runner>/<context>/<file>. Review a changed golden file like code.
// `npm run gen:golden` rewrites them (and removes stale ones).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunners } from '../../src/runners/registry.js';
import { ROOT } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

const GOLDEN = join(ROOT, 'test', 'golden');
const RUNNERS = await loadRunners();

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe.each(RUNNERS.map((r) => [r.name, r] as const))('golden files: %s', (_name, runner) => {
  it.each(CONTEXTS.map((c) => [c.name, c] as const))('%s', (_ctxName, { name, ctx }) => {
    const dir = join(GOLDEN, runner.name, name);
    const files = runner.render(contextFor(runner, ctx));
    // The same set of files: none missing, none left over from an older version of the runner.
    expect(
      filesUnder(dir).sort(),
      `files under ${dir} (npm run gen:golden writes them; then review them like code)`,
    ).toEqual(files.map((f) => f.path).sort());
    for (const f of files)
      expect(f.content, `${runner.name}/${name}/${f.path} (npm run gen:golden to rewrite)`).toBe(
        readFileSync(join(dir, f.path), 'utf8'),
      );
  });
});

it('has no golden directory for a runner or context that no longer exists', () => {
  const runners = RUNNERS.map((r) => r.name).sort();
  expect(readdirSync(GOLDEN).sort()).toEqual(runners);
  for (const r of runners)
    expect(readdirSync(join(GOLDEN, r)).sort()).toEqual(CONTEXTS.map((c) => c.name).sort());
});
