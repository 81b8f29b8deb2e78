// `run` of a spec file plans it in a child `batchplan plan`. Measured: the YAML parser, zod and
// Handlebars (about 25 MiB resident once loaded) and the heap grown by compiling stayed in the
// process that then ran every task, so `run` of 10,000 tasks peaked at 160 MiB against 112 MiB
// for `plan` + `run-partition`. The child prints the spec's warnings and errors itself.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/batchplan.js', import.meta.url));

/** `batchplan plan <spec> -o <dir>`: its exit code (128 + the signal's number if one killed it). */
export async function planInChild(spec: string, dir: string, force: boolean): Promise<number> {
  const child = spawn(
    process.execPath,
    [CLI, 'plan', ...(force ? ['--force'] : []), '-o', dir, '--', spec],
    // Its summary is not run's output (run --json prints one document); its stderr is.
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  });
}

/** What a plan records of its spec (the SHA-256 of its text), or undefined if it cannot be read. */
export function specFileSha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}
