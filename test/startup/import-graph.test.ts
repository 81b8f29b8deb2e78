// Cold start: run-partition starts once per array task, often from a slow shared file system, and
// `--help`/`--version` must stay light. Walk the static import graph of the built modules.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/** Bare package names reachable from `entry` through static imports (dynamic import() excluded). */
function reachablePackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm,
    )) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return packages;
}

const dist = join(ROOT, 'dist');

describe('import graph (built by npm run build)', () => {
  it('keeps the CLI entry to commander alone: --help and --version load nothing else', () => {
    expect([...reachablePackages(join(dist, 'cli.js'))]).toEqual(['commander']);
  });

  it('keeps handlebars, yaml, ssh2 and zod off the run-partition path', () => {
    const pkgs = reachablePackages(join(dist, 'commands', 'run-partition.js'));
    for (const heavy of ['handlebars', 'yaml', 'ssh2', 'zod']) expect(pkgs.has(heavy), heavy).toBe(false);
    // plan.json is checked against schemas generated from zod (format-json-schema.ts) instead.
    expect(pkgs.size).toBe(0);
    // The walk does see packages: the compiler's path loads zod.
    expect(reachablePackages(join(dist, 'commands', 'plan.js')).has('zod')).toBe(true);
  });
});
