// Saturn Cloud's per-run layout, as `sc batch` (saturn_client/run.py) writes it: each run's directory
// holds `stdout` and `stderr` (complete, and echoed to the job's log), `results/` (the run's
// SATURN_RUN_LOCAL_RESULTS_DIR) and, once it ended, `status_code`: the exit code with no newline, a
// signal as its negative number (-9), none for an interrupted run. A URL output path (sfs://, s3://
// ...) runs in a local scratch directory whose files are copied there at the end; a failed copy fails
// the attempt. A status_code of 0 counts the run as done, whoever wrote it (sc batch, another copy of
// the plan) unless a retry/rerun is newer than it; any other one, and a 0 so outdated, is removed
// before the run is tried again, so that an interrupted attempt (or a killed run-partition) leaves
// none, never an older attempt's code. Writes go through the thread pool without fsync, as sc
// batch's: the journal is the durable record, these files the shared one.
import { execFile } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AttemptResult } from '../exec/attempt.js';
import type { AttemptHook, HookPartition, PartitionHook, TaskHook } from '../exec/task-hook.js';
import type { TaskRecord } from '../plan/model.js';
import {
  copyCommand,
  copyVariable,
  joinUrl,
  outputScheme,
  removeCommand,
  removeVariable,
} from './saturn-output.js';
import { readStatusFiles } from './saturn-status.js';

/** Output kept in memory up to this, then streamed to its file (most runs write far less). */
const BUFFER_LIMIT = 1 << 20;

/** status_code's content, or undefined for an interrupted run (no file, so it reads as incomplete). */
export function statusCode(res: AttemptResult): string | undefined {
  if (res.state === 'interrupted') return undefined;
  // Exit 0 that still failed (it outlived its timeout) must not read as done.
  if (res.exitCode !== null)
    return String(res.exitCode === 0 && res.state !== 'succeeded' ? 1 : res.exitCode);
  if (res.signal) return String(-(constants.signals[res.signal as NodeJS.Signals] ?? 0));
  return '127'; // could not start (missing shell or directory): the shell's "not found"
}

/** One stream of one attempt: kept in memory, to a file once large, echoed to the job's log. */
class OutputFile {
  private chunks: Buffer[] = [];
  private size = 0;
  private stream: WriteStream | undefined;

  constructor(
    private readonly path: string,
    private readonly echo: { write(b: Uint8Array): unknown },
  ) {}

  push = (b: Buffer): void => {
    this.echo.write(b);
    if (this.stream) return void this.stream.write(b);
    this.chunks.push(b);
    this.size += b.length;
    if (this.size > BUFFER_LIMIT) {
      this.stream = createWriteStream(this.path);
      this.stream.on('error', () => {}); // reported by finish()
      for (const c of this.chunks) this.stream.write(c);
      this.chunks = [];
    }
  };

  async finish(): Promise<void> {
    if (!this.stream) return writeFile(this.path, Buffer.concat(this.chunks));
    const s = this.stream;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.end(() => resolve());
    });
  }
}

/** Runs a scheme's command (shell code) with arguments; why it failed, or undefined. */
function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `${cmd} "$@"`, 'sh', ...args], { env }, (err, _out, stderr) => {
      if (!err) return resolve(undefined);
      resolve(String(stderr).trim().split('\n').slice(-3).join(' / ') || err.message);
    });
  });
}

/** Copies a file with the scheme's command (`CMD LOCAL URL`); a reason when it fails. */
async function copyFile(
  cmd: string,
  local: string,
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const why = await runCommand(cmd, [local, url], env);
  return why && `copy to ${url} failed (${cmd}): ${why}`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

class SaturnPartition implements PartitionHook {
  private readonly plainEnv = new Map<number, AttemptHook>();
  /** Runs whose status_code says done (0), read once before anything runs: when it was written. */
  private readonly doneRuns = new Map<TaskRecord, number | undefined>();
  /** Runs with a non-zero status_code (found, or written by an attempt): removed before the next. */
  private readonly stale = new Set<TaskRecord>();

  constructor(private readonly p: HookPartition) {
    const found = readStatusFiles(
      p.records.map((r) => r.output),
      p.env,
      { warn: (m) => p.jobLog.stderr.write(Buffer.from(`batchplan: warning: ${m}\n`)) },
    );
    found.forEach((f, k) => {
      if (f?.code === 0) this.doneRuns.set(p.records[k]!, f.t);
      else if (f !== undefined) this.stale.add(p.records[k]!);
    });
  }

  /** Done unless a retry/rerun is newer than the status_code (a URL's time is unknown: older). */
  done(rec: TaskRecord, resetAt: number): boolean {
    if (!this.doneRuns.has(rec)) return false;
    const t = this.doneRuns.get(rec);
    return resetAt === 0 || (t !== undefined && t > resetAt);
  }

  /**
   * An older attempt's status_code must not stand for this one if it is interrupted: a failed one's,
   * or a 0 that a reset outdated (a run with a 0 is attempted only then).
   */
  private async removeStale(rec: TaskRecord, dir: string, url: string | undefined): Promise<void> {
    if (!this.stale.delete(rec) && !this.doneRuns.delete(rec)) return;
    if (!url) return void (await unlink(join(dir, 'status_code')).catch(() => {}));
    const scheme = outputScheme(url)!;
    const cmd = removeCommand(scheme, this.p.env);
    const target = joinUrl(url, 'status_code');
    const why = cmd
      ? await runCommand(cmd, [target], this.p.env)
      : `no remove command for ${scheme}:// (set ${removeVariable(scheme)})`;
    if (why)
      this.p.jobLog.stderr.write(
        Buffer.from(
          `batchplan: warning: cannot remove the earlier ${target} (${why}): if this run is interrupted, it still reads as that attempt's result\n`,
        ),
      );
  }

  async attempt(rec: TaskRecord, info: { slot: number }): Promise<AttemptHook> {
    if (!rec.output) {
      // Not in the layout: sc batch's variables all the same, for scripts written for it.
      let plain = this.plainEnv.get(info.slot);
      if (!plain) {
        plain = {
          env: {
            SATURN_RUN_LOCAL_RANK: String(info.slot),
            SATURN_RUN_LOCAL_RESULTS_DIR: this.p.stageResults,
          },
        };
        this.plainEnv.set(info.slot, plain);
      }
      return plain;
    }
    const url = outputScheme(rec.output) ? rec.output : undefined;
    const dir = url ? await mkdtemp(join(tmpdir(), 'batchplan-run-')) : rec.output;
    const resultsDir = join(dir, 'results');
    await mkdir(resultsDir, { recursive: true });
    await this.removeStale(rec, rec.output, url);
    const out = new OutputFile(join(dir, 'stdout'), this.p.jobLog.stdout);
    const err = new OutputFile(join(dir, 'stderr'), this.p.jobLog.stderr);
    return {
      resultsDir,
      env: {
        SATURN_RUN_REMOTE_OUTPUT_PATH: rec.output,
        SATURN_RUN_LOCAL_RESULTS_DIR: resultsDir,
        SATURN_RUN_LOCAL_RANK: String(info.slot),
      },
      onStdout: out.push,
      onStderr: err.push,
      ended: (res) => this.end(rec, dir, url, res, out, err),
    };
  }

  private async end(
    rec: TaskRecord,
    dir: string,
    url: string | undefined,
    res: AttemptResult,
    out: OutputFile,
    err: OutputFile,
  ): Promise<string | undefined> {
    const code = statusCode(res);
    const statusPath = join(dir, 'status_code');
    try {
      await Promise.all([out.finish(), err.finish()]);
      // Last, so that a reader who sees status_code sees complete output beside it.
      if (code === undefined) await unlink(statusPath).catch(() => {});
      else {
        const tmp = `${statusPath}.tmp-${process.pid}`;
        await writeFile(tmp, code);
        await rename(tmp, statusPath);
      }
    } catch (e) {
      return `cannot write the Saturn output in ${dir}: ${(e as Error).message}`;
    }
    if (code !== undefined && code !== '0') this.stale.add(rec);
    if (!url) return undefined;
    try {
      // An interrupted run is run again: nothing of it is copied.
      return code === undefined ? undefined : await this.upload(dir, url);
    } catch (e) {
      return `cannot copy ${dir} to ${url}: ${(e as Error).message}`;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** stdout, stderr, results/ and then status_code, so that a copied status_code means the rest is there. */
  private async upload(dir: string, url: string): Promise<string | undefined> {
    const scheme = outputScheme(url)!;
    const cmd = copyCommand(scheme, this.p.env);
    if (!cmd) return `no copy command for ${scheme}:// output (set ${copyVariable(scheme)})`;
    const files = [join(dir, 'stdout'), join(dir, 'stderr'), ...(await filesUnder(join(dir, 'results')))];
    for (const f of [...files, join(dir, 'status_code')]) {
      const failed = await copyFile(cmd, f, joinUrl(url, relative(dir, f)), this.p.env);
      if (failed) return failed;
    }
    return undefined;
  }

  /** run-partition awaits each attempt's end, so nothing is left outstanding here. */
  async close(): Promise<void> {}
}

export const saturnLayout: TaskHook = {
  name: 'saturn',
  open: (p: HookPartition) => new SaturnPartition(p),
  outcomes: {
    field: 'output',
    read: (records, env, opts) =>
      readStatusFiles(
        records.map((r) => r.output),
        env,
        opts,
      ),
  },
};
