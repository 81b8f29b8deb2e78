// GPU binding, unit by unit: where the visible GPUs are read from (each source variable, in order),
// the variables a slot gets, whole GPUs and shares per slot, more slots than GPUs, the spec setting's
// validation, and the request each runner derives from slots × gpus_per_slot.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchplanError, SpecError } from '../../src/errors.js';
import {
  bindSlotGpus,
  GPU_SOURCES,
  slotGpuEnv,
  visibleGpus,
  type GpuBindingRequest,
} from '../../src/exec/gpu-binding.js';
import { compile } from '../../src/plan/compile.js';
import {
  gpusForSlots,
  gpusPerSlotProblem,
  parseGpusPerSlot,
  slotsForGpus,
  type GpuShare,
} from '../../src/plan/gpu-share.js';
import { withGpuRequests } from '../../src/runners/context.js';
import type { RenderStage } from '../../src/runners/runner.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { scratch } from '../helpers.js';

const ONE: GpuShare = { gpus: 1, slots: 1 };
const TWO: GpuShare = { gpus: 2, slots: 1 };
const HALF: GpuShare = { gpus: 1, slots: 2 };

function bind(env: NodeJS.ProcessEnv, req: Partial<GpuBindingRequest>) {
  return bindSlotGpus(env, { stage: 'train', defaultSlots: () => 16, ...req });
}

function refusal(fn: () => unknown): BatchplanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BatchplanError);
    return err as BatchplanError;
  }
  throw new Error('expected a refusal');
}

describe('the visible GPUs', () => {
  it.each(GPU_SOURCES.map((name) => [name]))('are read from %s alone', (name) => {
    const v = visibleGpus({ [name]: '4,5,6' });
    expect(v?.source).toBe(name);
    // NVIDIA_VISIBLE_DEVICES holds host indices; the container numbers its GPUs from 0.
    expect(v?.ids).toEqual(name === 'NVIDIA_VISIBLE_DEVICES' ? ['0', '1', '2'] : ['4', '5', '6']);
  });

  it('take the first source that lists any, in the documented order', () => {
    const all = Object.fromEntries(GPU_SOURCES.map((name, k) => [name, `${k},${k + 10}`]));
    for (const [k, name] of GPU_SOURCES.entries()) {
      const env = Object.fromEntries(
        Object.entries(all).filter(([n]) => GPU_SOURCES.indexOf(n as never) >= k),
      );
      expect(visibleGpus(env)?.source).toBe(name);
    }
    expect(visibleGpus({})).toBeUndefined();
  });

  it('skip empty values, Slurm’s NoDevFiles and NVIDIA’s all/none; expand Slurm’s ranges; keep UUIDs', () => {
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '', SLURM_JOB_GPUS: '2,3' })?.ids).toEqual(['2', '3']);
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: 'NoDevFiles', SLURM_STEP_GPUS: '1' })?.source).toBe(
      'SLURM_STEP_GPUS',
    );
    expect(visibleGpus({ NVIDIA_VISIBLE_DEVICES: 'all' })).toBeUndefined();
    expect(visibleGpus({ SLURM_JOB_GPUS: '0-2,5' })?.ids).toEqual(['0', '1', '2', '5']);
    expect(visibleGpus({ NVIDIA_VISIBLE_DEVICES: 'GPU-aa,GPU-bb' })?.ids).toEqual(['GPU-aa', 'GPU-bb']);
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: ' 0 , 1 ' })?.ids).toEqual(['0', '1']);
  });
});

describe("a slot's environment", () => {
  it('lists its GPUs for CUDA and ROCr, numbers them from 0 for HIP, in PCI order', () => {
    const env = slotGpuEnv(visibleGpus({ CUDA_VISIBLE_DEVICES: '4,5,6,7' })!, [2, 3]);
    expect(env).toEqual({
      CUDA_VISIBLE_DEVICES: '6,7',
      ROCR_VISIBLE_DEVICES: '6,7',
      // HIP counts among the GPUs ROCR_VISIBLE_DEVICES left: 6 and 7 are its 0 and 1.
      HIP_VISIBLE_DEVICES: '0,1',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    });
  });

  it('narrows every list of the same length at the same positions (Slurm sets them all alike)', () => {
    const visible = visibleGpus({
      CUDA_VISIBLE_DEVICES: '0,1', // relative to a device cgroup
      ROCR_VISIBLE_DEVICES: '2,3',
      ZE_AFFINITY_MASK: '2,3',
      GPU_DEVICE_ORDINAL: '2,3',
      SLURM_JOB_GPUS: '2,3', // global ids
    })!;
    expect(slotGpuEnv(visible, [1])).toEqual({
      CUDA_VISIBLE_DEVICES: '1',
      ROCR_VISIBLE_DEVICES: '3',
      HIP_VISIBLE_DEVICES: '0',
      GPU_DEVICE_ORDINAL: '0',
      ZE_AFFINITY_MASK: '3',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    });
  });

  it('takes Slurm’s global ids when no runtime variable is set', () => {
    expect(slotGpuEnv(visibleGpus({ SLURM_JOB_GPUS: '6,7' })!, [1])).toMatchObject({
      CUDA_VISIBLE_DEVICES: '7',
      ROCR_VISIBLE_DEVICES: '7',
      HIP_VISIBLE_DEVICES: '0',
    });
  });
});

describe('gpus_per_slot', () => {
  it('reads whole numbers and shares, and refuses the rest', () => {
    expect(parseGpusPerSlot(2)).toEqual(TWO);
    expect(parseGpusPerSlot('1/4')).toEqual({ gpus: 1, slots: 4 });
    expect(parseGpusPerSlot('3')).toEqual({ gpus: 3, slots: 1 });
    for (const bad of [0, -1, 1.5, 0.5, '2/3', '1/0', 'abc', '', true, null])
      expect(parseGpusPerSlot(bad), String(bad)).toBeUndefined();
    expect(gpusPerSlotProblem(0.25)).toMatch(/write "1\/4"/);
  });

  it('counts GPUs for slots (a share rounds up) and slots for GPUs', () => {
    expect(gpusForSlots(TWO, 3)).toBe(6);
    expect(gpusForSlots(HALF, 3)).toBe(2);
    expect(slotsForGpus(TWO, 5)).toBe(2);
    expect(slotsForGpus({ gpus: 1, slots: 4 }, 2)).toBe(8);
  });

  it('gives each slot its own whole GPUs, and as many slots as the GPUs hold', () => {
    const b = bind({ CUDA_VISIBLE_DEVICES: '0,1,2,3,4' }, { gpusPerSlot: TWO })!;
    expect(b.nprocs).toBe(2); // GPU 4 is left over: a third slot would need two
    expect(b.slotEnv.map((e) => e.CUDA_VISIBLE_DEVICES)).toEqual(['0,1', '2,3']);
  });

  it('shares one GPU among k slots, never more', () => {
    const b = bind({ ROCR_VISIBLE_DEVICES: '0,1' }, { gpusPerSlot: HALF })!;
    expect(b.nprocs).toBe(4);
    expect(b.slotEnv.map((e) => e.ROCR_VISIBLE_DEVICES)).toEqual(['0', '0', '1', '1']);
    expect(b.slotEnv.every((e) => e.HIP_VISIBLE_DEVICES === '0')).toBe(true);
    // Fewer slots asked for than the GPUs hold: the first ones, still k per GPU.
    expect(bind({ CUDA_VISIBLE_DEVICES: '0,1' }, { gpusPerSlot: HALF, nprocs: 3 })!.slotEnv.length).toBe(3);
  });

  it('refuses more slots than the GPUs hold, saying how many fit', () => {
    const err = refusal(() => bind({ CUDA_VISIBLE_DEVICES: '0,1' }, { gpusPerSlot: ONE, nprocs: 4 }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(
      /4 slots at gpus_per_slot 1 need 4 GPUs, but 2 are visible \(CUDA_VISIBLE_DEVICES=0,1\)/,
    );
    expect(err.hint).toMatch(/Lower nprocs to 2/);
    const none = refusal(() => bind({ SLURM_JOB_GPUS: '3' }, { gpusPerSlot: TWO }));
    expect(none.message).toMatch(/needs 2 GPUs for one slot, but 1 is visible \(SLURM_JOB_GPUS=3\)/);
  });

  it('refuses clearly when no GPU list is visible, naming every place it looked and what to do', () => {
    const err = refusal(() => bind({ PATH: '/bin' }, { gpusPerSlot: ONE }));
    for (const name of GPU_SOURCES) expect(err.message).toContain(name);
    expect(err.message).toMatch(/stage 'train' binds GPUs \(gpus_per_slot 1\)/);
    expect(err.hint).toMatch(/--gpus 0,1/);
  });

  it('binds nothing for a stage without it (unless --bind-gpus)', () => {
    expect(bind({ CUDA_VISIBLE_DEVICES: '0' }, {})).toBeUndefined();
  });

  it('--bind-gpus alone deals every GPU round-robin; more slots than GPUs share them', () => {
    const env = { CUDA_VISIBLE_DEVICES: '0,1,2,3' };
    expect(bind(env, { bind: true, nprocs: 2 })!.slotEnv.map((e) => e.CUDA_VISIBLE_DEVICES)).toEqual([
      '0,2',
      '1,3',
    ]);
    expect(bind(env, { bind: true, nprocs: 6 })!.slotEnv.map((e) => e.CUDA_VISIBLE_DEVICES)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '0',
      '1',
    ]);
  });
});

describe('the spec setting', () => {
  const dir = scratch();
  const planOf = (text: string, name: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    return compile(loadSpecFile(file));
  };

  it('is inherited from defaults and stored as a share', () => {
    const plan = planOf(
      'defaults: {gpus_per_slot: 2}\nstages:\n  - {name: a, tasks: [{cmd: x}]}\n  - {name: b, gpus_per_slot: "1/3", tasks: [{cmd: x}]}\n',
      'ok',
    );
    expect(plan.stages.map((s) => s.settings.gpusPerSlot)).toEqual([TWO, { gpus: 1, slots: 3 }]);
  });

  it('refuses 0, negative, fractional and other values, each at its line', () => {
    const text =
      'stages:\n' +
      ['0', '-1', '1.5', '"2/3"', '0.5', 'lots']
        .map((v, k) => `  - {name: s${k}, gpus_per_slot: ${v}, tasks: [{cmd: x}]}\n`)
        .join('');
    let err: unknown;
    try {
      planOf(text, 'bad');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const issues = (err as SpecError).issues;
    expect(issues.map((i) => i.location.path)).toEqual(
      [0, 1, 2, 3, 4, 5].map((k) => `stages[${k}].gpus_per_slot`),
    );
    expect(issues.map((i) => i.location.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(issues[4]!.message).toMatch(/write "1\/2"/);
  });
});

describe("the runners' request", () => {
  const stage = (over: Partial<RenderStage>): RenderStage => ({
    name: 'train',
    index: 0,
    tasks: 8,
    partitions: 4,
    after: [],
    resources: {},
    ...over,
  });

  it('is slots × gpus_per_slot per partition, a share rounded up', () => {
    const [a, b] = withGpuRequests([
      stage({ gpus: { perSlot: TWO, slots: 3 } }),
      stage({ gpus: { perSlot: { gpus: 1, slots: 4 }, slots: 6 } }),
    ]);
    expect(a!.resources.gpus).toBe(6);
    expect(b!.resources.gpus).toBe(2);
  });

  it('keeps a request of its own that is large enough, and refuses one too small', () => {
    const [kept] = withGpuRequests([
      stage({ resources: { gpusPerTask: 4 }, gpus: { perSlot: ONE, slots: 2 } }),
    ]);
    expect(kept!.resources).toEqual({ gpusPerTask: 4 });
    const err = refusal(() =>
      withGpuRequests([stage({ resources: { gpus: 1 }, gpus: { perSlot: ONE, slots: 2 } })]),
    );
    expect(err.message).toMatch(
      /stage 'train': 2 slots at gpus_per_slot 1 need 2 GPUs per partition, but it asks for 1/,
    );
  });
});
