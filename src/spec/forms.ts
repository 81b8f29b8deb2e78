// Saturn batch files, mapped onto the one spec model (commands files: ./commands-file.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { copyVariable, DEFAULT_COPY_COMMANDS, outputPath, outputScheme } from '../runners/saturn-output.js';
import { SATURN_BATCH_KEYS, type SaturnBatch, type Spec } from './schema.js';

export interface SaturnInputOptions {
  /** Where relative output paths are, and the environment the copy commands are looked up in. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** As `sc split --skip-failures`: leave out runs whose status_code is non-zero. */
  skipFailures?: boolean;
  /** As `sc split --max-jobs`: keep only the first M runs (after skipping). */
  maxJobs?: number;
}

/**
 * Saturn Cloud's batch file: each run writes `stdout`, `stderr`, `status_code` and `results/` under
 * its `remote_output_path`, else under the batch's `remote_output_path/<run index>` (the index in
 * the file, whatever is skipped). A URL output needs a copy command for its scheme, checked here.
 */
export function saturnToSpec(
  batch: SaturnBatch,
  stage: string,
  opts: SaturnInputOptions,
): { spec: Spec; warnings: string[] } {
  const warnings = Object.keys(batch)
    .filter((k) => !SATURN_BATCH_KEYS.includes(k))
    .map((k) => `ignoring top-level key '${k}' (saturn-client ignores it too)`);
  const root = batch.remote_output_path?.replace(/\/+$/, '');
  let runs = batch.runs.map((run, i) => ({
    i,
    cmd: run.cmd,
    output: run.remote_output_path ?? (root === undefined ? undefined : `${root}/${i}`),
  }));
  const env: Record<string, string> = {};
  for (const { output } of runs) {
    const scheme = output && outputScheme(output);
    if (!scheme || scheme === 'file') continue;
    const name = copyVariable(scheme);
    if (opts.env[name])
      env[name] = opts.env[name]; // the same command on the machines that run it
    else if (!DEFAULT_COPY_COMMANDS[scheme])
      throw usageError(
        `output ${output}: no copy command for ${scheme}:// (batchplan knows ${Object.keys(
          DEFAULT_COPY_COMMANDS,
        )
          .map((s) => `${s}://`)
          .join(', ')})`,
        `Set ${name} to a command that copies a local file to such a URL (run as: CMD LOCAL_FILE URL), or use a local path.`,
      );
  }
  if (opts.skipFailures) {
    const before = runs.length;
    runs = runs.filter((r) => !failedBefore(r.output, opts.baseDir));
    warnings.push(`skipping ${before - runs.length} failed run(s) (--skip-failures)`);
  }
  const filtered = opts.skipFailures || opts.maxJobs !== undefined;
  if (opts.maxJobs !== undefined && runs.length > opts.maxJobs) {
    warnings.push(`found ${runs.length} runs; only keeping ${opts.maxJobs} (--max-jobs)`);
    runs = runs.slice(0, opts.maxJobs);
  }
  if (runs.length === 0)
    throw usageError(
      'no runs left to plan',
      'Every run was skipped; drop --skip-failures or raise --max-jobs.',
    );
  // Ids keep the run's index in the file when some are left out.
  const tasks = runs.map(({ i, cmd, output }) => ({
    ...(filtered ? { id: `${stage}.${i}` } : {}),
    cmd,
    ...(output ? { output } : {}),
  }));
  return {
    spec: {
      ...(batch.nprocs ? { defaults: { nprocs: batch.nprocs } } : {}),
      stages: [{ name: stage, ...(Object.keys(env).length ? { env } : {}), tasks }],
    },
    warnings,
  };
}

/** Whether a run's status_code file says it failed (sc split --skip-failures's test). */
function failedBefore(output: string | undefined, baseDir: string): boolean {
  if (output === undefined) return false;
  if (outputScheme(output) && outputScheme(output) !== 'file')
    throw usageError(
      `--skip-failures: cannot read the status of ${output} from here (only local and file:// outputs)`,
      'Leave out --skip-failures; runs whose status_code is 0 are skipped when they run all the same.',
    );
  let text: string;
  try {
    text = readFileSync(join(outputPath(baseDir, output), 'status_code'), 'utf8').trim();
  } catch {
    return false; // not run yet, or interrupted: incomplete
  }
  return /^-?\d+$/.test(text) && Number(text) !== 0;
}
