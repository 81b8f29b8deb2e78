// Cold start: run-partition starts once per array task, often from a slow shared file system, and
// `--help`/`--version` must stay light. Walk the static import graph of the built modules.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/** Bare package names reachable from `entry` through static imports (dynamic import() excluded). */
function reachablePackages(entry: string): Set<string> {
  return walk(entry).packages;
}

/** Files reachable from `entry` through static imports. */
function reachableFiles(entry: string): Set<string> {
  return walk(entry).seen;
}

function walk(entry: string): { packages: Set<string>; seen: Set<string> } {
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
  return { packages, seen };
}

const dist = join(ROOT, 'dist');

/**
 * Import circles among the TypeScript sources, type-only imports included (a circle of types still
 * ties two modules together: put the type next to its schema, or the shared part in a module of its own).
 */
function sourceCircles(srcDir: string): string[][] {
  const files = (readdirSync(srcDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(srcDir, f));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(
      /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm,
    ))
      deps.push(resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'));
    edges.set(file, deps);
  }
  // Tarjan's strongly connected components: every component of more than one module is a circle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(relative(srcDir, w));
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return circles;
}

describe('import graph (built by npm run build)', () => {
  it('keeps the CLI entry to commander alone: --help and --version load nothing else', () => {
    expect([...reachablePackages(join(dist, 'cli.js'))]).toEqual(['commander']);
  });

  it('keeps handlebars, yaml, ssh2 and zod off the run-partition path', () => {
    const pkgs = reachablePackages(join(dist, 'commands', 'run-partition.js'));
    for (const heavy of ['handlebars', 'yaml', 'ssh2', 'zod']) expect(pkgs.has(heavy), heavy).toBe(false);
    // plan.json is checked against schemas generated from zod (format-json-schema.ts) instead.
    expect(pkgs.size).toBe(0);
    // The runners' descriptors stay off it too: `auto` reads the generated index table.
    expect(
      reachableFiles(join(dist, 'commands', 'run-partition.js')).has(join(dist, 'runners', 'registry.js')),
    ).toBe(false);
    // The walk does see packages: the compiler's path loads zod.
    expect(reachablePackages(join(dist, 'commands', 'plan.js')).has('zod')).toBe(true);
  });

  it('keeps the same off `run` while its tasks run: it plans a spec in a child `batchplan plan`', () => {
    // Measured: with them loaded `run` of 10,000 tasks peaked at 160 MiB, run-partition at 112 MiB.
    const pkgs = reachablePackages(join(dist, 'commands', 'run.js'));
    for (const heavy of ['handlebars', 'yaml', 'ssh2', 'zod', 'execa'])
      expect(pkgs.has(heavy), heavy).toBe(false);
  });

  it('has no import circles in src, type-only imports included', () => {
    expect(sourceCircles(join(ROOT, 'src'))).toEqual([]);
  });

  it('sees a circle when there is one (the walk is not vacuous)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchplan-circles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B[];\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport type B = { a: A };\n");
      writeFileSync(join(dir, 'c.ts'), "import type { A } from './a.js';\nexport type C = A;\n");
      expect(sourceCircles(dir)).toEqual([['a.ts', 'b.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
