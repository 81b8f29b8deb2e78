// Reading status_code files back, as sc split and sc summarize-batch do: plan --skip-failures,
// run-partition's "done elsewhere" check, and status/tasks. A local path is read directly; a URL
// through its scheme's copy command (`CMD URL LOCAL_FILE`), several at a time, in one blocking call:
// it happens before anything runs, and most runs are local.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyCommand, joinUrl, outputScheme } from './saturn-output.js';

/** Copy commands at once (each is a process, often a slow one: aws, gsutil). */
const READERS = 8;
const READ_TIMEOUT_MS = 10 * 60_000;

/** A status_code's exit code; undefined when it is not one (saturn-client's int() would refuse it). */
export function parseStatusCode(text: string): number | undefined {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}

export interface StatusReadOptions {
  /** Read URL outputs too (one copy command each); default true. */
  remote?: boolean;
  /** Where a warning goes (copies that could not be run at all). */
  warn?: (message: string) => void;
}

/**
 * The exit code in each output directory's status_code: undefined where there is none (not run,
 * interrupted), it cannot be read, or it is a URL and `remote` is off. A copy that fails reads as
 * none, so the run counts as not done: the safe side.
 */
export function readStatusCodes(
  outputs: readonly (string | undefined)[],
  env: NodeJS.ProcessEnv,
  opts: StatusReadOptions = {},
): (number | undefined)[] {
  return readStatusFiles(outputs, env, opts).map((o) => o?.code);
}

/** A status_code read back: its code, and when it was written (local files only: a URL's is unknown). */
export interface StatusFile {
  code: number;
  t?: number;
}

/** readStatusCodes with each local file's mtime, which a reset marker (retry, rerun) must be older than. */
export function readStatusFiles(
  outputs: readonly (string | undefined)[],
  env: NodeJS.ProcessEnv,
  opts: StatusReadOptions = {},
): (StatusFile | undefined)[] {
  const codes: (number | undefined)[] = outputs.map(() => undefined);
  const times: (number | undefined)[] = outputs.map(() => undefined);
  const urls: number[] = [];
  outputs.forEach((out, k) => {
    if (out === undefined) return;
    if (outputScheme(out)) {
      if (opts.remote !== false) urls.push(k);
      return;
    }
    let fd: number | undefined;
    try {
      fd = openSync(join(out, 'status_code'), 'r');
      times[k] = fstatSync(fd).mtimeMs;
      codes[k] = parseStatusCode(readFileSync(fd, 'utf8'));
    } catch {
      // none yet
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  });
  if (urls.length) readRemote(urls, outputs, env, codes, opts.warn);
  return codes.map((code, k) =>
    code === undefined ? undefined : times[k] === undefined ? { code } : { code, t: times[k] },
  );
}

function readRemote(
  urls: number[],
  outputs: readonly (string | undefined)[],
  env: NodeJS.ProcessEnv,
  codes: (number | undefined)[],
  warn: ((message: string) => void) | undefined,
): void {
  const tmp = mkdtempSync(join(tmpdir(), 'batchplan-status-'));
  try {
    const args: string[] = [];
    for (const k of urls) {
      const cmd = copyCommand(outputScheme(outputs[k]!)!, env);
      if (cmd) args.push(cmd, joinUrl(outputs[k]!, 'status_code'), join(tmp, String(k)));
    }
    // Per triple, `sh -c 'eval "$0 \"\$@\""' CMD URL FILE`: the command is shell code, as for uploads.
    const r = spawnSync(
      'xargs',
      ['-0', '-n', '3', '-P', String(READERS), 'sh', '-c', 'eval "$0 \\"\\$@\\""'],
      { input: args.join('\0') + '\0', env, stdio: ['pipe', 'ignore', 'ignore'], timeout: READ_TIMEOUT_MS },
    );
    if (r.error) warn?.(`cannot read the status_code of URL outputs (xargs): ${r.error.message}`);
    for (const k of urls) {
      try {
        codes[k] = parseStatusCode(readFileSync(join(tmp, String(k)), 'utf8'));
      } catch {
        // none there, or the copy failed
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
