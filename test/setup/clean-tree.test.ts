// The clean-tree check (clean-tree.ts, vitest's globalSetup) sees what a test leaves behind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { scratch } from '../helpers.js';
import { untrackedFiles, watchTree } from './clean-tree.js';

it('lists untracked files, not ignored ones', () => {
  const repo = scratch('batchplan-clean-tree-');
  spawnSync('git', ['init', '-q', repo]);
  writeFileSync(join(repo, '.gitignore'), 'dist/\n');
  expect(untrackedFiles(repo)).toEqual(new Set(['.gitignore']));
  mkdirSync(join(repo, 'dist'));
  writeFileSync(join(repo, 'dist', 'x.js'), '');
  mkdirSync(join(repo, 'sub'));
  writeFileSync(join(repo, 'sub', 'stage-0.pbs.o12.3'), '');
  expect(untrackedFiles(repo)).toEqual(new Set(['.gitignore', 'sub/stage-0.pbs.o12.3']));
  expect(untrackedFiles(join(repo, '..'))).toBeUndefined();
});

it('fails a run that left a file, naming it, and passes one that left none', () => {
  const repo = scratch('batchplan-clean-tree-');
  spawnSync('git', ['init', '-q', repo]);
  writeFileSync(join(repo, 'before.txt'), '');
  expect(() => watchTree(repo)()).not.toThrow();
  const check = watchTree(repo);
  writeFileSync(join(repo, 'stage-1.pbs.e7.0'), '');
  expect(check).toThrow(/left 1 untracked file\(s\) in the checkout .*stage-1\.pbs\.e7\.0/);
});
