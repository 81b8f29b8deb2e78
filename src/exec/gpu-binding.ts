// GPU binding: which GPUs each task slot of a partition sees. The GPUs are the list the allocation
// (or the user) makes visible; each slot gets its own (gpus_per_slot whole GPUs) or its share of one
// ("1/k": k slots per GPU), so two tasks running at once never share a GPU they were not meant to.
// Pure, and free of heavy imports: run-partition reads it on every start.
import { BatchplanError } from '../errors.js';
import {
  canonicalGpusPerSlot,
  gpusForSlots,
  slotPositions,
  slotsForGpus,
  type GpuShare,
} from '../plan/gpu-share.js';

/**
 * Where the visible GPUs are read from, first set wins: the runtimes' own variables (NVIDIA, AMD,
 * Intel, OpenCL), which is what a task would use; then what the NVIDIA container runtime was given
 * (a Kubernetes pod's nvidia.com/gpu, which sets no CUDA_VISIBLE_DEVICES); then Slurm's global ids
 * (sbatch(1), srun(1): SLURM_STEP_GPUS in a step, SLURM_JOB_GPUS in the batch script).
 */
export const GPU_SOURCES = [
  'CUDA_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'ZE_AFFINITY_MASK',
  'GPU_DEVICE_ORDINAL',
  'NVIDIA_VISIBLE_DEVICES',
  'SLURM_STEP_GPUS',
  'SLURM_JOB_GPUS',
] as const;

export interface VisibleGpus {
  /** The variable the list came from. */
  source: (typeof GPU_SOURCES)[number];
  ids: string[];
  /** Every source variable that holds a list, by name (to narrow them alike). */
  lists: Partial<Record<(typeof GPU_SOURCES)[number], string[]>>;
}

/** One variable's GPU ids, or undefined when it holds none (unset, empty, Slurm's NoDevFiles). */
function gpuList(name: string, value: string | undefined): string[] | undefined {
  const v = value?.trim();
  if (!v || v === 'NoDevFiles') return undefined;
  const ids = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (name === 'NVIDIA_VISIBLE_DEVICES') {
    if (['all', 'none', 'void'].includes(v)) return undefined;
    // In the container the GPUs are renumbered from 0: host indices would name the wrong ones, UUIDs
    // (the device plugin's default) stay right.
    return ids.map((id, k) => (/^(GPU|MIG)-/.test(id) ? id : String(k)));
  }
  // Slurm's own lists may be ranges (0-3); the runtimes' are plain ids (or UUIDs with dashes).
  if (name.startsWith('SLURM_'))
    return ids.flatMap((id) => {
      const m = /^(\d+)-(\d+)$/.exec(id);
      if (!m || Number(m[2]) < Number(m[1])) return [id];
      return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, k) => String(Number(m[1]) + k));
    });
  return ids.length ? ids : undefined;
}

/** The GPUs visible in `env`, or undefined when no source variable lists any. */
export function visibleGpus(env: NodeJS.ProcessEnv): VisibleGpus | undefined {
  const lists: VisibleGpus['lists'] = {};
  for (const name of GPU_SOURCES) {
    const ids = gpuList(name, env[name]);
    if (ids) lists[name] = ids;
  }
  const source = GPU_SOURCES.find((name) => lists[name]);
  return source ? { source, ids: lists[source]!, lists } : undefined;
}

/**
 * The environment of a slot that has the GPUs at `positions` of the visible list, for every runtime:
 * - CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES (AMD's runtime filters by it first) list them;
 * - HIP_VISIBLE_DEVICES numbers them 0..m-1: HIP counts among what ROCR_VISIBLE_DEVICES left (and
 *   reads HIP_VISIBLE_DEVICES before CUDA_VISIBLE_DEVICES), so an id such as 3 would match nothing;
 *   GPU_DEVICE_ORDINAL, where the allocation set it, likewise (ROCm's OpenCL counts the same way);
 * - ZE_AFFINITY_MASK (Intel), where the allocation set it, lists them;
 * - CUDA_DEVICE_ORDER=PCI_BUS_ID: ids in the order nvidia-smi and Slurm number GPUs.
 * A variable that lists as many GPUs as the source is narrowed at the same positions (Slurm sets
 * them all from one allocation, in one order); the others get the source's ids.
 */
export function slotGpuEnv(visible: VisibleGpus, positions: number[]): Record<string, string> {
  const ids = positions.map((p) => visible.ids[p]!);
  const aligned = (name: (typeof GPU_SOURCES)[number]) => {
    const list = visible.lists[name];
    return list && list.length === visible.ids.length ? positions.map((p) => list[p]!) : ids;
  };
  const ordinals = ids.map((_, k) => String(k)).join(',');
  const env: Record<string, string> = {
    CUDA_VISIBLE_DEVICES: aligned('CUDA_VISIBLE_DEVICES').join(','),
    ROCR_VISIBLE_DEVICES: aligned('ROCR_VISIBLE_DEVICES').join(','),
    HIP_VISIBLE_DEVICES: ordinals,
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
  };
  if (visible.lists.GPU_DEVICE_ORDINAL) env.GPU_DEVICE_ORDINAL = ordinals;
  if (visible.lists.ZE_AFFINITY_MASK) env.ZE_AFFINITY_MASK = aligned('ZE_AFFINITY_MASK').join(',');
  return env;
}

/** --bind-gpus without gpus_per_slot: every visible GPU dealt round-robin; more slots than GPUs share them. */
export function dealtPositions(gpus: number, slots: number, slot: number): number[] {
  if (gpus >= slots) return Array.from({ length: gpus }, (_, g) => g).filter((g) => g % slots === slot);
  return [slot % gpus];
}

export interface GpuBindingRequest {
  stage: string;
  /** The stage's gpus_per_slot (plan.json), if it sets one. */
  gpusPerSlot?: GpuShare;
  /** --bind-gpus: bind even without gpus_per_slot (every visible GPU dealt to the slots). */
  bind?: boolean;
  /** Slots asked for (--nprocs, else the stage's nprocs); unset: as many as the GPUs allow. */
  nprocs?: number;
  /** The slot count when nothing else decides it (the allocation's CPUs). */
  defaultSlots: () => number;
}

export interface GpuBinding {
  nprocs: number;
  /** Per slot, the variables that make its GPUs visible. */
  slotEnv: Record<string, string>[];
  /** For messages: "CUDA_VISIBLE_DEVICES=0,1". */
  visible: string;
}

const NO_LIST = `${GPU_SOURCES.slice(0, -1).join(', ')} and ${GPU_SOURCES.at(-1)} are all unset or empty`;

/**
 * The slot count and each slot's GPU variables, or undefined when the stage binds no GPUs. Refuses,
 * before anything runs, a stage that binds GPUs where none are visible or too few for its slots.
 */
export function bindSlotGpus(env: NodeJS.ProcessEnv, req: GpuBindingRequest): GpuBinding | undefined {
  if (req.gpusPerSlot === undefined && !req.bind) return undefined;
  const share = req.gpusPerSlot;
  const what = share ? `gpus_per_slot ${canonicalGpusPerSlot(share)}` : '--bind-gpus';
  const visible = visibleGpus(env);
  if (!visible)
    throw new BatchplanError(
      'E_USAGE',
      `stage '${req.stage}' binds GPUs (${what}) but no GPU list is visible here: ${NO_LIST}`,
      'Ask the scheduler for GPUs (the scripts generate-script renders do, from gpus_per_slot), or name the GPUs to use: batchplan run --gpus 0,1, or CUDA_VISIBLE_DEVICES=0,1 before run-partition.',
    );
  const shown = `${visible.source}=${visible.ids.join(',')}`;
  const count = visible.ids.length;
  if (!share) {
    const nprocs = req.nprocs ?? req.defaultSlots();
    const slotEnv = Array.from({ length: nprocs }, (_, s) =>
      slotGpuEnv(visible, dealtPositions(count, nprocs, s)),
    );
    return { nprocs, slotEnv, visible: shown };
  }
  const capacity = slotsForGpus(share, count);
  if (capacity === 0)
    throw new BatchplanError(
      'E_USAGE',
      `stage '${req.stage}': ${what} needs ${share.gpus} GPUs for one slot, but ${count} ${count === 1 ? 'is' : 'are'} visible (${shown})`,
      'Ask the scheduler for more GPUs per partition, or lower gpus_per_slot.',
    );
  if (req.nprocs !== undefined && req.nprocs > capacity)
    throw new BatchplanError(
      'E_USAGE',
      `stage '${req.stage}': ${req.nprocs} slots at ${what} need ${gpusForSlots(share, req.nprocs)} GPUs, but ${count} ${count === 1 ? 'is' : 'are'} visible (${shown})`,
      `Lower nprocs to ${capacity} (or leave it out: the GPUs decide it), or ask the scheduler for more GPUs.`,
    );
  // Without an explicit count, the GPUs decide it: as many slots as they hold.
  const nprocs = req.nprocs ?? capacity;
  const slotEnv = Array.from({ length: nprocs }, (_, s) => slotGpuEnv(visible, slotPositions(share, s)));
  return { nprocs, slotEnv, visible: shown };
}
