// The render context of a plan for N partitions: stage shapes and their layered resources. A stage
// that sets its own partition count gets it; scripts still pass N, and run-partition applies the same
// rule (plan/partition.ts), so the two always agree.
import { usageError } from '../errors.js';
import { canonicalGpusPerSlot, gpusForSlots } from '../plan/gpu-share.js';
import type { PlanStage, Resources } from '../plan/model.js';
import { stagePartitions } from '../plan/partition.js';
import type { Plan } from '../plan/read.js';
import { layerResources } from '../plan/resources.js';
import { partitionNeeds } from '../plan/task-deps-partitions.js';
import { partitionGpus } from './directives.js';
import type { RenderContext, RenderStage, RunnerOptions } from './runner.js';

export function renderStages(
  plan: Plan,
  n: number,
  flags: Resources = {},
  gpuOpts: GpuRequestOptions = { requests: false },
): RenderStage[] {
  const stages: RenderStage[] = plan.file.stages.map((s, index) => ({
    name: s.name,
    index,
    tasks: s.tasks,
    partitions: stagePartitions(s, n), // its own count, else N
    after: s.after,
    resources: layerResources(plan.file.defaults.resources, flags, s.resources),
    ...stageGpus(s, flags, plan.file.defaults.resources, gpuOpts.nprocs),
  }));
  // Task-level dependencies, per partition, for the partition counts just chosen.
  const counts = stages.map((s) => s.partitions);
  for (const s of stages) {
    const needs = partitionNeeds(plan, s.index, counts);
    if (needs) s.requires = needs;
  }
  return gpuOpts.requests ? withGpuRequests(stages) : stages;
}

export interface GpuRequestOptions {
  /** Whether the runner asks its scheduler for GPUs (it honours the `gpus` resource). */
  requests: boolean;
  /** run-partition's --nprocs in the scripts, which is each partition's slot count. */
  nprocs?: number;
}

/** A GPU stage's share and slot count per partition: the --nprocs the scripts pass, else its own, else its CPUs. */
function stageGpus(
  s: PlanStage,
  flags: Resources,
  defaults: Resources,
  nprocs: number | undefined,
): Pick<RenderStage, 'gpus'> {
  if (!s.gpusPerSlot) return {};
  const cpus = s.resources.cpusPerTask ?? flags.cpusPerTask ?? defaults.cpusPerTask;
  return { gpus: { perSlot: s.gpusPerSlot, slots: nprocs ?? s.nprocs ?? cpus ?? 1 } };
}

/**
 * Each GPU stage asks for slots × gpus_per_slot GPUs per partition (a partition is one scheduler
 * task, so `gpus` and `gpus_per_task` mean the same, directives.ts), unless it asks for GPUs itself:
 * then at least that many, or the slots could not each have their own.
 */
export function withGpuRequests(stages: RenderStage[]): RenderStage[] {
  return stages.map((s) => {
    if (!s.gpus) return s;
    const need = gpusForSlots(s.gpus.perSlot, s.gpus.slots);
    const given = partitionGpus(s.resources);
    if (given === undefined) return { ...s, resources: { ...s.resources, gpus: need } };
    if (given < need)
      throw usageError(
        `stage '${s.name}': ${s.gpus.slots} slots at gpus_per_slot ${canonicalGpusPerSlot(s.gpus.perSlot)} need ${need} GPUs per partition, but it asks for ${given} (--gpus/gpus or --gpus-per-task/gpus_per_task)`,
        `Leave the GPU count out (batchplan asks for ${need}), raise it to ${need}, or lower nprocs or gpus_per_slot.`,
      );
    return s;
  });
}

export function renderContext(
  plan: Plan,
  n: number,
  opts: {
    resources?: Resources;
    options: RunnerOptions;
    batchplanCommand: string;
    batchplanVersion: string;
    /** Whether the runner asks its scheduler for GPUs (its descriptor lists the `gpus` resource). */
    requestsGpus?: boolean;
  },
): RenderContext {
  return {
    planDir: plan.dir,
    n,
    stages: renderStages(plan, n, opts.resources, {
      requests: opts.requestsGpus ?? false,
      ...(opts.options.nprocs !== undefined ? { nprocs: opts.options.nprocs } : {}),
    }),
    batchplanCommand: opts.batchplanCommand,
    batchplanVersion: opts.batchplanVersion,
    options: opts.options,
  };
}
