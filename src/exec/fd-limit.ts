// This process's soft limit on open files, when it is low enough to run into (below 4,096): the
// spawn launcher then checks before each launch, and per-task cgroups keep few descriptors open.
import { readFileSync } from 'node:fs';

let fdLimit: number | undefined | null = null;

/** The soft limit on open files when it is low enough to run into, else undefined. Read once. */
export function lowFdLimit(): number | undefined {
  if (fdLimit === null) {
    try {
      const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
      fdLimit = m && Number(m[1]) < 4096 ? Number(m[1]) : undefined;
    } catch {
      fdLimit = undefined;
    }
  }
  return fdLimit;
}
