// npm run test:unit runs vitest's `unit` project: every suite is in exactly one of unit and engines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import config, { ENGINE_SUITES } from '../../vitest.config.js';
import { ROOT } from '../helpers.js';

it('puts every test file in exactly one project, and the engine suites outside unit', () => {
  const projects = (config.test?.projects ?? []) as {
    test: { name: string; include: string[]; exclude?: string[] };
  }[];
  expect(projects.map((p) => p.test.name)).toEqual(['unit', 'engines']);
  /** vitest's globs as used here: `**` any depth, `*` within one directory. */
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('**')
        .map((part) => part.replaceAll('.', '\\.').replaceAll('*', '[^/]*'))
        .join('.*')
        .replaceAll('.*/', '(.*/)?')}$`,
    );
  const matches = (file: string, patterns: string[] = []) => patterns.some((p) => glob(p).test(file));
  const files = (readdirSync(join(ROOT, 'test'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/${f}`);
  for (const file of files) {
    const inProjects = projects.filter(
      (p) => matches(file, p.test.include) && !matches(file, p.test.exclude),
    );
    expect(
      inProjects.map((p) => p.test.name),
      file,
    ).toHaveLength(1);
  }
  for (const engine of ['test/slurm/slurm.test.ts', 'test/exec/launcher.test.ts', 'test/docs/readme.test.ts'])
    expect(matches(engine, ENGINE_SUITES), engine).toBe(true);
});
