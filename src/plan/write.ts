// Write a compiled plan as a plan directory, atomically: everything goes into a hidden temp directory
// beside the destination, which is renamed into place only when complete. A failed or interrupted
// `plan` leaves nothing that looks like a plan. The writer yields to the event loop between chunks,
// so that SIGINT/SIGTERM stop it (and remove the temp directory); the temp directory of a `plan`
// that was killed outright is removed by the next `plan` to the same destination.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { BatchplanError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../util/fs-atomic.js';
import type { CompiledPlan } from './compile.js';
import {
  INDEX_ENTRY_BYTES,
  INDEX_FILE,
  PLAN_FILE,
  PLAN_FORMAT,
  PLAN_FORMAT_VERSION,
  planFormatVersion,
  TASKS_FILE,
} from './format.js';
import type { PlanFile } from './format-schema.js';
import { writeTaskDeps } from './task-deps-write.js';
import { writeTaskVars } from './task-vars.js';

export interface PlanMeta {
  batchplanVersion: string;
  source: PlanFile['source'];
  createdAt?: string;
}

export interface WriteOptions {
  force?: boolean;
  /** Called now and then with the number of task records written so far. */
  onProgress?: (written: number, total: number) => void;
}

const CHUNK_BYTES = 1 << 20;

export async function writePlanDir(
  dest: string,
  plan: CompiledPlan,
  meta: PlanMeta,
  opts: WriteOptions = {},
): Promise<PlanFile> {
  const target = resolve(dest);
  checkDestination(target, opts.force ?? false);
  removeLeftTemps(target);
  const tmp = join(
    dirname(target),
    `.${basename(target)}.tmp-${HOST}-${process.pid}-${Date.now().toString(36)}`,
  );
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(tmp);
    const file = await writeContents(tmp, plan, meta, opts.onProgress);
    replace(target, tmp);
    return file;
  } catch (err) {
    cleanup();
    if (err instanceof BatchplanError) throw err;
    throw new BatchplanError('E_IO', `cannot write plan ${target}: ${(err as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function checkDestination(target: string, force: boolean): void {
  if (!existsSync(target)) return;
  if (!force)
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${target} already exists`,
      'Pass --force to replace it, or choose another -o.',
    );
  // --force replaces a plan, never an unrelated directory the user pointed at by mistake.
  if (!existsSync(join(target, PLAN_FILE)) && readdirSync(target).length > 0)
    throw new BatchplanError(
      'E_PLAN_EXISTS',
      `${target} exists and is not a plan directory; refusing to replace it even with --force`,
    );
}

const HOST = hostname().replace(/[^A-Za-z0-9_]/g, '_');

/** Temp and old directories of `plan`s to this destination that died (this host's, pid gone). */
function removeLeftTemps(target: string): void {
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(?:tmp-([A-Za-z0-9_]+)|old)-(\d+)-[0-9a-z]+$/.exec(name.slice(prefix.length));
    if (!m || (m[1] !== undefined && m[1] !== HOST) || processAlive(Number(m[2]))) continue;
    rmSync(join(dirname(target), name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeContents(
  dir: string,
  plan: CompiledPlan,
  meta: PlanMeta,
  onProgress?: WriteOptions['onProgress'],
): Promise<PlanFile> {
  const offsets = new DataView(new ArrayBuffer((plan.totalTasks + 1) * INDEX_ENTRY_BYTES));
  const fd = openSync(join(dir, TASKS_FILE), 'w');
  let offset = 0;
  let k = 0;
  // Lines are encoded straight into one reused buffer (performance): Buffer#write returns the byte
  // length the index needs, so each line is encoded once, with no Buffer.byteLength pass and no
  // string concatenation of a chunk that writeSync would encode again.
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  const flush = () => {
    for (let done = 0; done < used;) done += writeSync(fd, chunk, done, used - done);
    used = 0;
  };
  try {
    for (const stage of plan.stages) {
      let n = 0;
      for (const rec of stage.records()) {
        const line = JSON.stringify(rec) + '\n';
        const room = line.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
        if (used + room > chunk.length) {
          flush();
          onProgress?.(k, plan.totalTasks);
          await new Promise(setImmediate); // let a stop signal in
          if (room > chunk.length) chunk = Buffer.allocUnsafe(room);
        }
        offsets.setFloat64(k * INDEX_ENTRY_BYTES, offset, true);
        const bytes = chunk.write(line, used);
        used += bytes;
        offset += bytes;
        k++;
        n++;
      }
      if (n !== stage.count)
        throw new BatchplanError(
          'E_INTERNAL',
          `stage '${stage.name}' yielded ${n} tasks, expected ${stage.count}`,
        );
    }
    offsets.setFloat64(k * INDEX_ENTRY_BYTES, offset, true);
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  onProgress?.(k, plan.totalTasks);
  writeFileAtomic(join(dir, INDEX_FILE), new Uint8Array(offsets.buffer));

  let first = 0;
  const file: PlanFile = {
    format: PLAN_FORMAT,
    version: PLAN_FORMAT_VERSION,
    batchplanVersion: meta.batchplanVersion,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    source: meta.source,
    defaults: plan.defaults,
    totalTasks: plan.totalTasks,
    stages: plan.stages.map((s) => {
      const stage = {
        name: s.name,
        after: s.after,
        ...(s.requires ? { requires: s.requires } : {}),
        ...(s.urgent ? { urgent: s.urgent } : {}),
        ...(s.partitions ? { partitions: s.partitions } : {}),
        tasks: s.count,
        firstTask: first,
        ...s.settings,
        resources: s.resources,
      };
      first += s.count;
      return stage;
    }),
  };
  file.version = planFormatVersion(file);
  writeTaskDeps(dir, plan);
  writeTaskVars(dir, plan.stages);
  writeFileAtomic(join(dir, PLAN_FILE), JSON.stringify(file, null, 2) + '\n');
  fsyncDir(dir);
  return file;
}

function replace(target: string, tmp: string): void {
  if (existsSync(target)) {
    const old = join(dirname(target), `.${basename(target)}.old-${process.pid}-${Date.now().toString(36)}`);
    renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, target);
  }
  fsyncDir(dirname(target));
}
