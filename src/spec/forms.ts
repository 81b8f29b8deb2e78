// Saturn batch files, mapped onto the one spec model (commands files: ./commands-file.ts).
import { usageError } from '../errors.js';
import {
  copyVariable,
  DEFAULT_COPY_COMMANDS,
  DEFAULT_REMOVE_COMMANDS,
  outputPath,
  outputScheme,
  removeVariable,
} from '../runners/saturn-output.js';
import { readStatusCodes } from '../runners/saturn-status.js';
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
  const schemes = new Set<string>();
  for (const { output } of runs) {
    const scheme = output && outputScheme(output);
    if (!scheme || scheme === 'file' || schemes.has(scheme)) continue;
    schemes.add(scheme);
    const name = copyVariable(scheme);
    const rm = removeVariable(scheme);
    // The same commands on the machines that run it.
    if (opts.env[rm]) env[rm] = opts.env[rm];
    else if (!DEFAULT_REMOVE_COMMANDS[scheme])
      warnings.push(
        `no remove command for ${scheme}:// (set ${rm}, run as: CMD URL): an earlier attempt's status_code cannot be removed before a run is tried again`,
      );
    if (opts.env[name]) env[name] = opts.env[name];
    else if (!DEFAULT_COPY_COMMANDS[scheme])
      throw usageError(
        `output ${output}: no copy command for ${scheme}:// (batchplan knows ${Object.keys(
          DEFAULT_COPY_COMMANDS,
        )
          .map((s) => `${s}://`)
          .join(', ')})`,
        `Set ${name} to a command that copies a file to and from such a URL (run as: CMD LOCAL_FILE URL and CMD URL LOCAL_FILE), or use a local path.`,
      );
  }
  if (opts.skipFailures) {
    const before = runs.length;
    const codes = readStatusCodes(
      runs.map((r) => r.output && outputPath(opts.baseDir, r.output)),
      { ...opts.env, ...env },
      { warn: (m) => warnings.push(m) },
    );
    runs = runs.filter((_, k) => codes[k] === undefined || codes[k] === 0);
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
