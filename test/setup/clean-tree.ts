// Tests leave the work tree as they found it: every file they write goes to a mkdtemp directory.
// vitest runs this once around the whole run; a file that appeared in the checkout fails the run.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Untracked, not ignored files of the checkout; undefined outside a git work tree. */
export function untrackedFiles(root = ROOT): Set<string> | undefined {
  const r = spawnSync('git', ['status', '--porcelain', '-z', '--untracked-files=all'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  return new Set(
    r.stdout
      .split('\0')
      .filter((e) => e.startsWith('?? '))
      .map((e) => e.slice(3)),
  );
}

/** Snapshot `root`'s untracked files; the function returned throws if any appeared since. */
export function watchTree(root = ROOT): () => void {
  const before = untrackedFiles(root);
  return () => {
    if (!before) return;
    const left = [...(untrackedFiles(root) ?? [])].filter((f) => !before.has(f));
    if (left.length > 0)
      throw new Error(
        `the tests left ${left.length} untracked file(s) in the checkout (write them under a mkdtemp ` +
          `directory instead): ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''}`,
      );
  };
}

export default function setup(): () => void {
  return watchTree(ROOT);
}
