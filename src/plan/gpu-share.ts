// gpus_per_slot: the GPUs each task slot of a partition gets, as a whole number (2: two GPUs per
// slot) or a share "1/k" (k slots share one GPU). One reading for the spec, the plan, the runners'
// requests (runners/context.ts) and run-partition's binding (exec/gpu-binding.ts). Kept free of
// imports: run-partition loads it on every start.

/** As the spec and plan.json hold it: a whole number of GPUs, or "1/k". */
export type GpusPerSlot = number | string;

/** `gpus` GPUs for every `slots` slots; one of the two is 1. */
export interface GpuShare {
  gpus: number;
  slots: number;
}

const SHARE = /^1\/([1-9][0-9]*)$/;

/** The share a value stands for, or undefined when it is none (0, negative, 1.5, "2/3", "abc"). */
export function parseGpusPerSlot(value: unknown): GpuShare | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 1 ? { gpus: value, slots: 1 } : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SHARE.exec(value.trim());
  if (m) return { gpus: 1, slots: Number(m[1]) };
  return /^[1-9][0-9]*$/.test(value.trim()) ? { gpus: Number(value), slots: 1 } : undefined;
}

/** How it is written back (plan.json, messages): 2, or "1/4"; "1/1" is 1. */
export function canonicalGpusPerSlot(share: GpuShare): GpusPerSlot {
  return share.slots === 1 ? share.gpus : `1/${share.slots}`;
}

/** What a bad value should have been, for messages. */
export function gpusPerSlotProblem(value: unknown): string {
  const shown = JSON.stringify(value);
  const fraction = typeof value === 'number' && value > 0 && value < 1 && Number.isInteger(1 / value);
  return (
    `gpus_per_slot must be a whole number of GPUs per slot (1, 2, …) or a share "1/k" (k slots share one GPU), got ${shown}` +
    (fraction ? `; write "1/${1 / (value as number)}"` : '')
  );
}

/** GPUs that `slots` slots need (a share rounds up: 3 slots at "1/2" need 2 GPUs). */
export function gpusForSlots(share: GpuShare, slots: number): number {
  return Math.ceil((slots * share.gpus) / share.slots);
}

/** Slots that `gpus` GPUs can hold. */
export function slotsForGpus(share: GpuShare, gpus: number): number {
  return Math.floor((gpus * share.slots) / share.gpus);
}

/** The positions (into the visible GPU list) of slot `slot`'s GPUs. */
export function slotPositions(share: GpuShare, slot: number): number[] {
  if (share.slots > 1) return [Math.floor(slot / share.slots)];
  return Array.from({ length: share.gpus }, (_, g) => slot * share.gpus + g);
}
