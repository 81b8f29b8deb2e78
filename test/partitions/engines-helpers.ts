// What the per-stage partition engine tests share: the plan, the slices its journals must hold, and
// each scheduler's own view of the arrays it was given.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { partitionSlice } from '../../src/plan/partition.js';
import { ROOT } from '../helpers.js';

/** The plan's stages: a sets its own 6 partitions, b 4 tasks per partition (3 of them), c takes N. */
export const STAGES = [
  { name: 'a', tasks: 20, fields: 'partitions: 6' },
  { name: 'b', tasks: 9, fields: 'tasks_per_partition: 4', after: 'a' },
  { name: 'c', tasks: 5, fields: '', after: 'b' },
] as const;

/**
 * The spec: each task appends `<stage> <i>` to `log`; `slow` goes before the first stage's
 * commands, `guard` must succeed before a first-stage task logs.
 */
export function spec(log: string, slow = '', guard = 'true'): string {
  return (
    'stages:\n' +
    STAGES.map((s, k) => {
      const cmd = `${k === 0 ? slow + guard + ' && ' : ''}echo ${s.name} {{i}} >> '${log}'`;
      return [
        `  - name: ${s.name}`,
        ...(s.fields ? [`    ${s.fields}`] : []),
        ...('after' in s ? [`    after: [${s.after}]`] : []),
        `    template: ${JSON.stringify(cmd)}`,
        `    matrix: {i: {range: [0, ${s.tasks}]}}`,
      ].join('\n');
    }).join('\n') +
    '\n'
  );
}

/** The `start-end` names of a stage's journals when it has `count` tasks in `parts` partitions. */
export function partitionSlices(count: number, parts: number): string[] {
  return Array.from({ length: parts }, (_, i) => {
    const { start, end } = partitionSlice(count, parts, i);
    return `${start}-${end}`;
  });
}

/** Slurm's index list (`0-7`, `3`, `1,4-6`, `0-9:2`, `2-7%2`) as the indices it names. */
export function expandIndices(list: string): number[] {
  const out: number[] = [];
  for (const part of list.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) throw new Error(`not a Slurm index list: ${list}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i += Number(m[3] ?? 1)) out.push(i);
  }
  return out;
}

/**
 * The array indices Slurm holds for job `id` (an array's records: one per element once it runs, one
 * range for the elements still pending), from `scontrol show job -o`.
 */
export function jobArrays(id: string): number[] {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scontrol show job ${id}: ${r.stderr}`);
  const indices = [...r.stdout.matchAll(/\bArrayTaskId=(\S+)/g)].flatMap((m) => expandIndices(m[1]!));
  return [...new Set(indices)].sort((x, y) => x - y);
}

/** Whether every element of Slurm job `id` is still pending (none started, none ended). */
export function stillPending(id: string): boolean {
  const r = spawnSync('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T'], { encoding: 'utf8' });
  const states = r.stdout.split('\n').filter(Boolean);
  return states.length > 0 && states.every((s) => s === 'PENDING');
}

/** How many tasks Grid Engine's array job `id` has (`job-array tasks: 1-6:1` in qstat -j). */
export function sgeArraySize(id: string): number | undefined {
  const r = spawnSync('qstat', ['-j', id], { encoding: 'utf8' });
  const m = /^job-array tasks:\s+(\d+)-(\d+):(\d+)/m.exec(r.stdout);
  return m ? Math.floor((Number(m[2]) - Number(m[1])) / Number(m[3])) + 1 : undefined;
}

/** `ok`, or an error when CI requires the engines (BATCHPLAN_REQUIRE_ENGINES=1) and this one is down. */
function required<T>(ok: T | undefined, what: string): T | undefined {
  if (ok === undefined && process.env.BATCHPLAN_REQUIRE_ENGINES === '1') throw new Error(what);
  return ok;
}

/** Whether the Grid Engine cell answers (scripts/sge/up.sh starts it). */
export function sgeUp(): boolean {
  const up = spawnSync('qstat', ['-f', '-q', 'all.q'], { encoding: 'utf8' });
  const ok = up.status === 0 && /^all\.q@/m.test(up.stdout);
  return (
    required(ok || undefined, 'the Grid Engine cell is not running; start it with scripts/sge/up.sh') ?? false
  );
}

/** The directory of Slurm's qsub/qstat/qdel wrappers when the Slurm cluster runs, else undefined. */
export function pbsWrappers(): string | undefined {
  const up = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  if (up.status !== 0 || !/idle|mix|alloc/.test(up.stdout))
    return required(undefined, 'the Slurm cluster is not running; start it with scripts/slurm/up.sh');
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'slurm', 'torque-wrappers.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  const ok = dir && existsSync(join(dir, 'qsub')) ? dir : undefined;
  return required(ok, "Slurm's PBS wrappers are missing; run scripts/slurm/torque-wrappers.sh");
}
