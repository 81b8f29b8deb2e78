// The cost of the hardening (issue 11), side by side in one run: run-partition over T `true` tasks
// on 2 slots with each protection on and off, wall time and CPU time (user + system of
// run-partition and its tasks, GNU time's %U + %S). Per launcher:
// - native: per-task cgroups (default where writable) against BATCHPLAN_CGROUP=0. Its parent-death
//   signal (vfork + prctl instead of posix_spawn) has no switch: measured by hand when it landed at
//   1.0-1.1x (bench/NOTES.md).
// - spawn: setpriv --pdeathsig (one exec more) and the cgroup's sh (one more) against neither (an
//   old setpriv without --pdeathsig first on PATH, which the launcher tries once and leaves unused).
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskCgroups } from '../../dist/exec/cgroup.js';
import { batchplan, fmt, interleaved, measure, measureSh, runSync, scratchDir, stats } from '../lib.js';

export const name = 'cost';

/** Wall and CPU ms of one run, through GNU time (-f '%e %U %S'). */
async function timed(argv, env, dir) {
  const out = join(dir, 'time.out');
  const r = await measure(['/usr/bin/time', '-f', '%U %S', '-o', out, ...argv], { env });
  const [user, sys] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { wall: r.ms, cpu: (user + sys) * 1000 };
}

export async function run(ctx) {
  const tasks = ctx.quick ? 500 : 2_000;
  const dir = scratchDir('cost');
  writeFileSync(join(dir, 'tasks.txt'), 'true\n'.repeat(tasks));
  const plan = join(dir, 'tasks.plan');
  runSync(batchplan('plan', join(dir, 'tasks.txt'), '-o', plan));
  const oldSetpriv = join(dir, 'old-setpriv');
  mkdirSync(oldSetpriv);
  writeFileSync(
    join(oldSetpriv, 'setpriv'),
    `#!/bin/sh\ncase "$1" in --pdeathsig) echo "setpriv: unrecognized option '--pdeathsig'" >&2; exit 1;; esac\nexec "$@"\n`,
  );
  chmodSync(join(oldSetpriv, 'setpriv'), 0o755);
  const probe = TaskCgroups.open(`bench-probe-${process.pid}`);
  probe?.close();
  const cgroups = Boolean(probe);

  const variants = {
    native: { BATCHPLAN_LAUNCHER: 'native' },
    nativeNoCgroup: { BATCHPLAN_LAUNCHER: 'native', BATCHPLAN_CGROUP: '0' },
    spawn: { BATCHPLAN_LAUNCHER: 'spawn' },
    spawnNoCgroup: { BATCHPLAN_LAUNCHER: 'spawn', BATCHPLAN_CGROUP: '0' },
    spawnBare: {
      BATCHPLAN_LAUNCHER: 'spawn',
      BATCHPLAN_CGROUP: '0',
      PATH: `${oldSetpriv}:${process.env.PATH}`,
    },
  };
  const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const fns = {};
  for (const [k, env] of Object.entries(variants))
    fns[k] = async () => {
      rmSync(join(plan, 'status'), { recursive: true, force: true });
      const t = await timed(batchplan('run-partition', plan, 'tasks', '1', '0', '--nprocs', '2'), env, dir);
      cpu[k].push(t.cpu);
      return t.wall;
    };
  fns.xargs = async () =>
    (await measureSh(`xargs -P 2 -d '\\n' -n 1 sh -c < '${join(dir, 'tasks.txt')}'`)).ms;
  const wall = await interleaved(ctx.runs, fns);
  const cpuStats = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, stats(v)]));
  const label = `${fmt.n(tasks)} true tasks, 2 slots`;
  const row = (what, on, off, offName, note) => [
    {
      case: `hardening cost, wall: ${what} (${label})`,
      unit: 'ms',
      batchplan: wall[on],
      baseline: { name: offName, ...wall[off] },
      ratio: wall[on].median / wall[off].median,
      target: 'info',
      pass: null,
      note,
    },
    {
      case: `hardening cost, CPU: ${what} (${label})`,
      unit: 'ms',
      batchplan: cpuStats[on],
      baseline: { name: offName, ...cpuStats[off] },
      ratio: cpuStats[on].median / cpuStats[off].median,
      target: 'info',
      pass: null,
    },
  ];
  const cgNote = cgroups
    ? `per-task cgroups in use here`
    : 'no writable cgroup v2 here: both sides run without cgroups, so this ratio is noise';
  const rows = [
    ...row(
      'native launcher, per-task cgroups',
      'native',
      'nativeNoCgroup',
      'native, BATCHPLAN_CGROUP=0',
      cgNote,
    ),
    ...row(
      "Node's spawn, setpriv --pdeathsig + cgroups",
      'spawn',
      'spawnBare',
      'spawn without either',
      `${cgNote}; setpriv alone: ${(wall.spawnNoCgroup.median / wall.spawnBare.median).toFixed(2)}x wall, ${(cpuStats.spawnNoCgroup.median / cpuStats.spawnBare.median).toFixed(2)}x CPU`,
    ),
    {
      case: `hardening cost: native launcher, everything on, against xargs -P 2 (${label})`,
      unit: 'ms',
      batchplan: wall.native,
      baseline: { name: 'xargs -P 2 sh -c', ...wall.xargs },
      ratio: wall.native.median / wall.xargs.median,
      target: 'info',
      pass: null,
    },
  ];
  ctx.log(
    `cost ${fmt.n(tasks)}: native ${fmt.ms(wall.native.median)} vs ${fmt.ms(wall.nativeNoCgroup.median)} without cgroups; spawn ${fmt.ms(wall.spawn.median)} vs ${fmt.ms(wall.spawnBare.median)} bare`,
  );
  return rows;
}
