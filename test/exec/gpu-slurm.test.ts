// gpus_per_slot on the real Slurm: the rendered sbatch asks for slots × gpus_per_slot GPUs, and the
// tasks of each array element split the GPUs Slurm's environment gives the job. This cluster has no
// GPUs (no GRES), so the test drops the --gpus line it checked and has each element's script set
// SLURM_JOB_GPUS as Slurm would on a 4-GPU node (element i: GPUs 2i and 2i+1); everything else is
// the scripts generate-script rendered, submitted by their submit.sh and awaited with `batchplan wait`.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarness, lines } from '../engine-harness.js';
import { GPU_SOURCES } from '../../src/exec/gpu-binding.js';
import { scratch, slurmUp } from '../helpers.js';

const dir = scratch('batchplan-gpu-slurm-');
const available = slurmUp();
// No GPU variable of the test's own environment reaches the jobs (sbatch exports the environment).
const NO_GPUS = Object.fromEntries(GPU_SOURCES.map((name) => [name, '']));
const { makePlan, run, waitFor, tasks } = engineHarness('slurm', dir, NO_GPUS);

describe.runIf(available)('gpus_per_slot on Slurm', () => {
  it('asks for slots × gpus_per_slot GPUs, and each element’s tasks split the job’s SLURM_JOB_GPUS', async () => {
    const seen = join(dir, 'seen');
    const plan = makePlan(
      'train',
      `
stages:
  - name: train
    gpus_per_slot: 1
    nprocs: 2
    template: 'echo "$BATCHPLAN_PARTITION $BATCHPLAN_LOCAL_RANK $CUDA_VISIBLE_DEVICES $HIP_VISIBLE_DEVICES" >> ${seen}; sleep 0.5'
    matrix: {k: {range: [0, 8]}}
`,
    );
    const out = join(dir, 'scripts');
    const g = run(['generate-script', plan, '2', '--runner', 'slurm', '--time', '5', '-o', out]);
    expect(g.code, g.stderr).toBe(0);
    const stage = join(out, 'stage-0.sbatch');
    const script = readFileSync(stage, 'utf8');
    // 2 slots × 1 GPU per partition (one array element).
    expect(script).toMatch(/^#SBATCH --gpus=2$/m);
    writeFileSync(
      stage,
      script
        .replace(/^#SBATCH --gpus=2\n/m, '')
        .replace(
          /^set -uo pipefail$/m,
          'set -uo pipefail\nexport SLURM_JOB_GPUS="$((2 * SLURM_ARRAY_TASK_ID)),$((2 * SLURM_ARRAY_TASK_ID + 1))"',
        ),
    );
    const submitted = spawnSync('bash', [join(out, 'submit.sh')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...NO_GPUS },
    });
    expect(submitted.status, submitted.stderr).toBe(0);
    const r = await waitFor(plan);
    expect(r.code, r.stderr).toBe(0);
    expect(tasks(plan).every((t) => t.state === 'succeeded')).toBe(true);
    const rows = lines(seen).map((l) => l.split(' '));
    expect(rows).toHaveLength(8);
    for (const [partition, rank, cuda, hip] of rows) {
      // Element i's slot k has GPU 2i + k alone (HIP numbers it 0 among what ROCr shows).
      expect(cuda).toBe(String(2 * Number(partition) + Number(rank)));
      expect(hip).toBe('0');
    }
    expect(new Set(rows.map((row) => row[2]))).toEqual(new Set(['0', '1', '2', '3']));
  });
});
