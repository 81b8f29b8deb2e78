// `batchplan add`: append the stages of another spec to a plan as a new generation (generations.ts).
// What is there never changes: existing stages keep their index, task ids, task records and
// partitions, so partitions running meanwhile are unaffected. The new generation's task files are
// written whole (in a hidden directory, by the plan writer) and moved beside the plan's own; plan.json,
// replaced by one rename, is the commit: an add killed before it leaves files no reader looks at,
// which the next add removes. Two adds at once are kept apart by a lock file.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BatchplanError, SpecError } from '../errors.js';
import type { LoadedSpec } from '../spec/load.js';
import { fsyncDir, writeFileAtomic } from '../util/fs-atomic.js';
import { compile, type CompileOptions } from './compile.js';
import { INDEX_FILE, PLAN_FILE, PLAN_FORMAT_VERSION_ADDED, planFormatVersion, TASKS_FILE } from './format.js';
import type { PlanFile } from './format-schema.js';
import { generationFileNames, planGenerations } from './generations.js';
import { readPlan, readTasks, type Plan } from './read.js';
import { layerResources } from './resources.js';
import { DEPS_DIR, depsFile } from './task-deps-format.js';
import { hasRequirements, type TaskSpace } from './task-deps.js';
import { readTaskVars, VARS_DIR, varsFile } from './task-vars.js';
import { writePlanDir } from './write.js';

export interface AddResult {
  file: PlanFile;
  generation: number;
  /** The stages added, as plan.json now lists them. */
  stages: PlanFile['stages'];
}

const LOCK = '.add.lock';

export async function addToPlan(
  planDir: string,
  loaded: LoadedSpec,
  meta: { batchplanVersion: string },
  limits: Pick<CompileOptions, 'maxTasks'> = {},
): Promise<AddResult> {
  const plan = readPlan(planDir);
  const { resources: _resources, ...settings } = plan.file.defaults;
  // Checked before anything is written: a name that exists, an unknown `after`, a bad template,
  // a `requires` naming no task, one of its own stage, or a cycle (as `plan` checks them).
  const compiled = compile(loaded, {
    ...limits,
    existing: {
      stages: plan.file.stages.map((s) => s.name),
      settings,
      ...(hasRequirements(loaded.spec.stages) ? { spaces: existingSpaces(plan) } : {}),
    },
  });
  // The added file's defaults.resources belong to its stages only (the plan's apply under them).
  for (const stage of compiled.stages)
    stage.resources = layerResources(compiled.defaults.resources, stage.resources);
  checkIds(plan, loaded, compiled.stages);

  const unlock = lock(plan.dir);
  const generation = (plan.file.generations?.length ?? 0) + 1;
  const tmp = join(plan.dir, `.add-${generation}-${process.pid}-${Date.now().toString(36)}`);
  // The writer exits on SIGINT/SIGTERM (after removing its own temp directory): so do ours.
  const release = () => {
    rmSync(tmp, { recursive: true, force: true });
    unlock();
  };
  process.once('exit', release);
  try {
    removeLeftovers(plan.dir, plan.file);
    const written = await writePlanDir(tmp, compiled, {
      batchplanVersion: meta.batchplanVersion,
      source: { file: loaded.source.file, format: loaded.format, sha256: loaded.source.sha256 },
    });
    const names = generationFileNames(generation);
    renameSync(join(tmp, TASKS_FILE), join(plan.dir, names.tasks));
    renameSync(join(tmp, INDEX_FILE), join(plan.dir, names.index));
    // Per-stage files are named by stage index: the new stages' come after the plan's.
    const base = plan.file.stages.length;
    for (const [sub, file] of [
      [DEPS_DIR, depsFile],
      [VARS_DIR, varsFile],
    ] as const)
      written.stages.forEach((_, k) => {
        if (!existsSync(file(tmp, k))) return;
        mkdirSync(join(plan.dir, sub), { recursive: true });
        renameSync(file(tmp, k), file(plan.dir, base + k));
        fsyncDir(join(plan.dir, sub));
      });
    fsyncDir(plan.dir);
    // Under the lock nothing else adds; a `plan --force` meanwhile would have replaced the plan.
    if (readFileSync(join(plan.dir, PLAN_FILE), 'utf8') !== JSON.stringify(plan.file, null, 2) + '\n')
      throw new BatchplanError(
        'E_PLAN_EXISTS',
        `plan ${plan.dir} changed while adding to it; nothing was added`,
        'Run the add again.',
      );
    const first = plan.file.totalTasks;
    const stages = written.stages.map((s) => ({ ...s, generation, firstTask: first + s.firstTask }));
    const file: PlanFile = {
      ...plan.file,
      version: PLAN_FORMAT_VERSION_ADDED, // at least: set below from what the plan now holds
      totalTasks: first + written.totalTasks,
      stages: [...plan.file.stages, ...stages],
      generations: [
        ...(plan.file.generations ?? []),
        {
          generation,
          createdAt: written.createdAt,
          batchplanVersion: meta.batchplanVersion,
          source: written.source,
          firstTask: first,
          tasks: written.totalTasks,
        },
      ],
    };
    file.version = planFormatVersion(file);
    writeFileAtomic(join(plan.dir, PLAN_FILE), JSON.stringify(file, null, 2) + '\n');
    fsyncDir(plan.dir);
    return { file, generation, stages };
  } finally {
    process.off('exit', release);
    release();
  }
}

/**
 * The plan's stages as a new stage's `requires` sees them: every task by its id (in run order), and
 * a template stage's variables from vars/stage-<k>.json (task k being the one with id <stage>.<k>).
 */
function existingSpaces(plan: Plan): TaskSpace[] {
  return plan.file.stages.map((stage, s) => {
    const ids = readTasks(plan, stage, 0, stage.tasks).map((r) => r.id);
    const vars = readTaskVars(plan.dir, s);
    const space = { at: [], count: stage.tasks };
    const order = specOrder(stage.name, ids);
    if (!order) return { ...space, spec: { name: stage.name, tasks: ids.map((id) => ({ id, cmd: '' })) } };
    // Automatic ids only: spec order back, so that messages and `<stage>.<k>` read as in the spec.
    const tasks = new Array<{ id: string; cmd: string }>(ids.length);
    order.forEach((k, p) => (tasks[k] = { id: ids[p]!, cmd: '' }));
    return {
      ...space,
      spec: { name: stage.name, tasks },
      ...(order.some((k, p) => k !== p) ? { order } : {}),
      ...(vars
        ? { vars }
        : {
            noVars: existsSync(join(plan.dir, VARS_DIR))
              ? 'lists its tasks (no template)'
              : 'was planned by a batchplan that kept no task variables, or lists its tasks',
          }),
    };
  });
}

/** Per run position, the spec index k of ids that are all `<stage>.<k>` (a permutation); else undefined. */
function specOrder(name: string, ids: readonly string[]): number[] | undefined {
  const seen = new Uint8Array(ids.length);
  const out: number[] = [];
  for (const id of ids) {
    const suffix = id.startsWith(`${name}.`) ? id.slice(name.length + 1) : '';
    if (!/^(0|[1-9]\d*)$/.test(suffix)) return undefined;
    const k = Number(suffix);
    if (k >= ids.length || seen[k]) return undefined;
    seen[k] = 1;
    out.push(k);
  }
  return out;
}

/** A new task's id must not be an id the plan has (ids name tasks in retry, logs and tasks). */
function checkIds(plan: Plan, loaded: LoadedSpec, stages: ReturnType<typeof compile>['stages']): void {
  const fresh = new Map<string, string>();
  for (const stage of stages) for (const rec of stage.records()) fresh.set(rec.id, stage.name);
  for (const gen of planGenerations(plan))
    eachId(gen.tasks, (id) => {
      const stage = fresh.get(id);
      if (stage === undefined) return;
      const i = loaded.spec.stages.findIndex((s) => s.name === stage);
      throw new SpecError('E_SPEC_INVALID', [
        {
          location: loaded.source.locate(['stages', i]),
          message: `task id '${id}' of stage '${stage}' is already a task of the plan: give the new task another id`,
        },
      ]);
    });
}

/** Calls `onId` with each record's id, reading the task file a megabyte at a time. */
function eachId(path: string, onId: (id: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      const lines = (rest + buf.toString('utf8', 0, n)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(line);
        if (m) onId(JSON.parse(m[1]!) as string);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** What an add killed before its commit left: its hidden directories, temp plan.json, unlisted generations. */
function removeLeftovers(dir: string, file: PlanFile): void {
  const listed = (file.generations ?? []).length;
  for (const name of readdirSync(dir)) {
    const gen = /^tasks\.(\d+)\.(jsonl|idx)$/.exec(name);
    if (
      name.startsWith('.add-') ||
      name.startsWith('..add-') ||
      name.startsWith(`${PLAN_FILE}.tmp-`) ||
      (gen && Number(gen[1]) > listed)
    )
      rmSync(join(dir, name), { recursive: true, force: true });
  }
  for (const sub of [DEPS_DIR, VARS_DIR]) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      const k = /^stage-(\d+)\.json$/.exec(name);
      if (k && Number(k[1]) >= file.stages.length) rmSync(join(dir, sub, name), { force: true });
    }
  }
}

/** Take the plan's add lock (a file naming this process); one left by a dead add on this host is taken over. */
function lock(dir: string): () => void {
  const path = join(dir, LOCK);
  const me = `${hostname()} ${process.pid}\n`;
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, me);
      } finally {
        closeSync(fd);
      }
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw lockError(dir, path, err);
      let owner = '';
      try {
        owner = readFileSync(path, 'utf8');
      } catch {
        continue; // released meanwhile
      }
      const [host, pid] = owner.trim().split(' ');
      if (host !== hostname() || alive(Number(pid))) throw lockError(dir, path, err, owner.trim());
      rmSync(path, { force: true });
    }
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(dir: string, path: string, err: unknown, owner?: string): BatchplanError {
  if (owner)
    return new BatchplanError(
      'E_PLAN_EXISTS',
      `another batchplan add is adding to plan ${dir} (${owner}); nothing was added`,
      `Wait for it and run this add again (if that process is gone from another host, remove ${path}).`,
    );
  return new BatchplanError('E_IO', `cannot take ${path}: ${(err as Error).message}`);
}
