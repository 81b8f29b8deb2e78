// The two other input forms, mapped onto the one spec model.
import type { SaturnBatch, Spec } from './schema.js';

/** One command per line (qdo's `load`): blank lines and `#` comments are skipped. */
export function commandsToSpec(text: string, stage: string): Spec {
  const tasks = [];
  for (const raw of text.split('\n')) {
    const cmd = raw.trim();
    if (cmd && !cmd.startsWith('#')) tasks.push({ cmd });
  }
  return { stages: [{ name: stage, tasks }] };
}

/**
 * Saturn Cloud's batch file: each run writes `stdout`, `stderr`, `status_code` and `results/` under
 * its `remote_output_path`, else under the batch's `remote_output_path/<run index>`.
 */
export function saturnToSpec(batch: SaturnBatch, stage: string): Spec {
  const tasks = batch.runs.map((run, i) => {
    const output =
      run.remote_output_path ??
      (batch.remote_output_path ? `${batch.remote_output_path.replace(/\/+$/, '')}/${i}` : undefined);
    return output ? { cmd: run.cmd, output } : { cmd: run.cmd };
  });
  return {
    ...(batch.nprocs ? { defaults: { nprocs: batch.nprocs } } : {}),
    stages: [{ name: stage, tasks }],
  };
}
