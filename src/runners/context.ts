// The render context of a plan for N partitions: stage shapes and their layered resources. A stage
// that sets its own partition count gets it; scripts still pass N, and run-partition applies the same
// rule (plan/partition.ts), so the two always agree.
import type { Resources } from '../plan/model.js';
import { stagePartitions } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { layerResources } from '../plan/resources.js';
import { partitionNeeds } from '../plan/task-deps-partitions.js';
import type { RenderContext, RenderStage, RunnerOptions } from './runner.js';

export function renderStages(plan: Plan, n: number, flags: Resources = {}): RenderStage[] {
  const stages: RenderStage[] = plan.file.stages.map((s, index) => ({
    name: s.name,
    index,
    tasks: s.tasks,
    partitions: stagePartitions(s, n), // its own count, else N
    after: s.after,
    resources: layerResources(plan.file.defaults.resources, flags, s.resources),
  }));
  // Task-level dependencies, per partition, for the partition counts just chosen.
  const counts = stages.map((s) => s.partitions);
  for (const s of stages) {
    const needs = partitionNeeds(plan, s.index, counts);
    if (needs) s.requires = needs;
  }
  return stages;
}

export function renderContext(
  plan: Plan,
  n: number,
  opts: { resources?: Resources; options: RunnerOptions; batchplanCommand: string; batchplanVersion: string },
): RenderContext {
  return {
    planDir: plan.dir,
    n,
    stages: renderStages(plan, n, opts.resources),
    batchplanCommand: opts.batchplanCommand,
    batchplanVersion: opts.batchplanVersion,
    options: opts.options,
  };
}
