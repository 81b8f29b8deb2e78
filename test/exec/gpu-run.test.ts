// GPU binding with real processes: run-partition and run with a fake CUDA_VISIBLE_DEVICES. Every
// task records the GPUs it saw and takes a lock per GPU while it runs (one lock per share for
// "1/k"): a task that finds its GPU's locks taken ran on a GPU another task held at that moment.
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GPU_SOURCES } from '../../src/exec/gpu-binding.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-gpu-');

/** No GPU variable of this machine reaches the tests: each sets its own. */
const NO_GPUS = Object.fromEntries(GPU_SOURCES.map((name) => [name, '']));

/**
 * The task: record `rank gpus rocr hip order`, then hold a lock on each of its GPUs (one of `shares`
 * per GPU) for a while; no free lock is a clash.
 */
function taskScript(out: string, shares: number): string {
  const script = join(out, 'task.sh');
  const names = Array.from({ length: shares }, (_, k) => `"$d/gpu-$g-${k}"`).join(' ');
  writeFileSync(
    script,
    `d=${JSON.stringify(join(out, 'locks'))}
echo "$1 $BATCHPLAN_LOCAL_RANK $CUDA_VISIBLE_DEVICES $ROCR_VISIBLE_DEVICES $HIP_VISIBLE_DEVICES $CUDA_DEVICE_ORDER" >> ${JSON.stringify(join(out, 'seen'))}
held=''
for g in $(echo "$CUDA_VISIBLE_DEVICES" | tr , ' '); do
  got=''
  for l in ${names}; do if mkdir "$l" 2>/dev/null; then got=$l; break; fi; done
  if [ -z "$got" ]; then echo "clash on GPU $g by $1" >> ${JSON.stringify(join(out, 'clashes'))}; else held="$held $got"; fi
done
sleep 0.3
for l in $held; do rmdir "$l"; done
`,
  );
  mkdirSync(join(out, 'locks'), { recursive: true });
  return script;
}

function plan(name: string, stages: object[]): string {
  const spec = join(dir, `${name}.json`);
  writeFileSync(spec, JSON.stringify({ stages }));
  const out = join(dir, `${name}.plan`);
  const r = cli(['plan', spec, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

function workDir(name: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  return out;
}

const read = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

/** Per task: [task, rank, CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, CUDA_DEVICE_ORDER]. */
const seen = (out: string) => read(join(out, 'seen')).map((l) => l.split(' '));

describe('run-partition binds GPUs from gpus_per_slot', () => {
  it('one GPU per slot: each task sees only its slot’s GPU, and no two tasks at once share one', () => {
    const out = workDir('one');
    const script = taskScript(out, 1);
    const p = plan('one', [
      {
        name: 'train',
        gpus_per_slot: 1,
        template: `sh '${script}' {{k}}`,
        matrix: { k: { range: [0, 12] } },
      },
    ]);
    const r = cli(['run-partition', p, 'train', '1', '0', '--json'], {
      env: { ...NO_GPUS, CUDA_VISIBLE_DEVICES: '4,5,6,7' },
    });
    expect(r.code, r.stderr).toBe(0);
    // The GPUs decide the slot count: four GPUs, four slots.
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 12, nprocs: 4 });
    const rows = seen(out);
    expect(rows).toHaveLength(12);
    for (const [, rank, cuda, rocr, hip, order] of rows) {
      expect(cuda).toBe(String(4 + Number(rank))); // slot k has the k-th GPU, every time
      expect([rocr, hip, order]).toEqual([cuda, '0', 'PCI_BUS_ID']);
    }
    expect(read(join(out, 'clashes'))).toEqual([]);
    expect(readdirSync(join(out, 'locks'))).toEqual([]);
  });

  it('a share "1/2": two slots per GPU, never three', () => {
    const out = workDir('half');
    const script = taskScript(out, 2);
    const p = plan('half', [
      {
        name: 'embed',
        gpus_per_slot: '1/2',
        template: `sh '${script}' {{k}}`,
        matrix: { k: { range: [0, 12] } },
      },
    ]);
    const r = cli(['run-partition', p, 'embed', '1', '0', '--json'], {
      env: { ...NO_GPUS, ROCR_VISIBLE_DEVICES: '0,1' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 12, nprocs: 4 });
    for (const [, rank, cuda, rocr] of seen(out)) {
      expect(cuda).toBe(String(Math.floor(Number(rank) / 2)));
      expect(rocr).toBe(cuda);
    }
    expect(read(join(out, 'clashes'))).toEqual([]);
  });

  it('two GPUs per slot from Slurm’s SLURM_JOB_GPUS', () => {
    const out = workDir('two');
    const p = plan('two', [
      {
        name: 'big',
        gpus_per_slot: 2,
        template: `echo "{{k}} $BATCHPLAN_LOCAL_RANK $CUDA_VISIBLE_DEVICES" >> '${join(out, 'seen')}'`,
        matrix: { k: { range: [0, 4] } },
      },
    ]);
    const r = cli(['run-partition', p, 'big', '1', '0', '--json'], {
      env: { ...NO_GPUS, SLURM_JOB_GPUS: '2,3,6,7' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ nprocs: 2 });
    for (const [, rank, cuda] of seen(out)) expect(cuda).toBe(rank === '0' ? '2,3' : '6,7');
  });

  it('refuses, before any task runs, when no GPU list is visible or more slots are asked than fit', () => {
    const out = workDir('none');
    const p = plan('none', [
      {
        name: 'train',
        gpus_per_slot: 1,
        template: `touch '${join(out, 'ran')}-{{k}}'`,
        matrix: { k: [1, 2] },
      },
    ]);
    const none = cli(['run-partition', p, 'train', '1', '0'], { env: NO_GPUS });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /stage 'train' binds GPUs \(gpus_per_slot 1\) but no GPU list is visible here/,
    );
    expect(none.stderr).toMatch(/batchplan run --gpus 0,1/);
    const tooMany = cli(['run-partition', p, 'train', '1', '0', '--nprocs', '3'], {
      env: { ...NO_GPUS, CUDA_VISIBLE_DEVICES: '0,1' },
    });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/3 slots at gpus_per_slot 1 need 3 GPUs, but 2 are visible/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--bind-gpus without gpus_per_slot deals every GPU to the slots, as before', () => {
    const out = workDir('dealt');
    const p = plan('dealt', [
      {
        name: 's',
        template: `echo "{{k}} $BATCHPLAN_LOCAL_RANK $CUDA_VISIBLE_DEVICES $ROCR_VISIBLE_DEVICES $HIP_VISIBLE_DEVICES $CUDA_DEVICE_ORDER" >> '${join(out, 'seen')}'; sleep 0.2`,
        matrix: { k: { range: [0, 4] } },
      },
    ]);
    const r = cli(['run-partition', p, 's', '1', '0', '--nprocs', '2', '--bind-gpus'], {
      env: { ...NO_GPUS, CUDA_VISIBLE_DEVICES: '0,1,2,3' },
    });
    expect(r.code, r.stderr).toBe(0);
    const bySlot = new Map(seen(out).map(([, rank, ...rest]) => [rank, rest.join(' ')]));
    expect(bySlot.get('0')).toBe('0,2 0,2 0,1 PCI_BUS_ID');
    expect(bySlot.get('1')).toBe('1,3 1,3 0,1 PCI_BUS_ID');
  });
});

describe('run --gpus', () => {
  it('gives GPU stages that could run at once the GPUs one stage at a time; other stages run beside them', () => {
    const out = workDir('run');
    const script = taskScript(out, 1);
    const cpuMark = join(out, 'cpu');
    const p = plan('run', [
      // Independent stages: run would start them together.
      { name: 'a', gpus_per_slot: 1, template: `sh '${script}' a{{k}}`, matrix: { k: { range: [0, 6] } } },
      { name: 'b', gpus_per_slot: 1, template: `sh '${script}' b{{k}}`, matrix: { k: { range: [0, 6] } } },
      { name: 'cpu', template: `echo {{k}} >> '${cpuMark}'`, matrix: { k: [1, 2] } },
    ]);
    const r = cli(['run', p, '--gpus', '0,1', '--json'], { env: NO_GPUS });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).overall).toMatchObject({ succeeded: 14, failed: 0 });
    const rows = seen(out);
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((row) => row[2]))).toEqual(new Set(['0', '1']));
    expect(read(join(out, 'clashes'))).toEqual([]);
    expect(read(cpuMark).sort()).toEqual(['1', '2']);
  });

  it('refuses a GPU list that is not one', () => {
    const r = cli(['run', join(dir, 'run.plan'), '--gpus', '0, 1'], { env: NO_GPUS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--gpus must list GPU ids separated by commas/);
  });
});
