// Test helpers: run the built CLI as a user would, in scratch directories.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { NATIVE_MODULE } from '../src/exec/native-module.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'batchplan.js');
export const FIXTURES = join(ROOT, 'fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `batchplan <args>` synchronously (node + bin/batchplan.js, as the generated scripts do). */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start `batchplan <args>` in the background. */
export function cliAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Run a bash command line (for piping generated scripts, as the README does). */
export function bash(script: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync('bash', ['-c', script], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A scratch directory removed after the test file. */
export function scratch(prefix = 'batchplan-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Fail (in CI) or skip (locally) when an engine is missing: CI sets BATCHPLAN_REQUIRE_ENGINES=1. */
export function engineAvailable(command: string): boolean {
  const found = spawnSync('bash', ['-c', `command -v ${command}`]).status === 0;
  if (!found && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(`engine '${command}' is not installed; CI requires it (run scripts/install-engines.sh)`);
  return found;
}

/** Whether the local Slurm cluster has a usable node (scripts/slurm/up.sh starts it); CI requires it. */
export function slurmUp(): boolean {
  const up = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  // `comp` (completing): the node is ending another test's jobs, and takes new ones after.
  const ok = up.status === 0 && /idle|mix|alloc|comp/.test(up.stdout);
  if (!ok && process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(
      `the Slurm cluster is not running (sinfo: ${up.stderr || up.stdout}); start it with scripts/slurm/up.sh`,
    );
  return ok;
}

/**
 * The task launchers to test: Node's spawn, and the native one (posix_spawn) when it was built;
 * CI requires it (BATCHPLAN_REQUIRE_ENGINES=1), elsewhere its tests are skipped without it.
 */
export function launchersToTest(): ('spawn' | 'native')[] {
  if (existsSync(NATIVE_MODULE)) return ['spawn', 'native'];
  if (process.env.BATCHPLAN_REQUIRE_ENGINES === '1')
    throw new Error(
      `the native task launcher is not built (${NATIVE_MODULE}); run node scripts/build-native.js`,
    );
  return ['spawn'];
}

/** Whether a process is gone: no such pid, or a zombie waiting for a slow init to reap it. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Run `batchplan <args>` and wait without blocking the test thread. Use it for long commands
 * (`wait` on a scheduler): a thread blocked for a minute makes vitest's own RPC time out.
 */
export function cliAwait(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return cliAsync(args, opts).done;
}
