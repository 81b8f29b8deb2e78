// Write each dependant stage's segments (task-deps-format.ts) into a plan directory being built.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { CompiledPlan } from './compile.js';
import { DEPS_DIR, DEPS_FORMAT_VERSION, depsFile, type StageDeps } from './task-deps-format.js';

export function writeTaskDeps(dir: string, plan: CompiledPlan): void {
  const dependants = plan.stages.map((s, k) => [s, k] as const).filter(([s]) => s.requires);
  if (dependants.length === 0) return;
  mkdirSync(join(dir, DEPS_DIR));
  for (const [stage, k] of dependants) {
    const body: StageDeps = { v: DEPS_FORMAT_VERSION, segments: stage.taskDeps ?? [] };
    // One segment per line: a stage of a million irregular requirements stays greppable.
    const text = `{"v":${body.v},"segments":[\n${body.segments.map((s) => JSON.stringify(s)).join(',\n')}\n]}\n`;
    writeFileAtomic(depsFile(dir, k), text);
  }
}
