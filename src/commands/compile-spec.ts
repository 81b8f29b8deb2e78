// Spec file -> plan directory, shared by `plan` and `run`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchplanError } from '../errors.js';
import { PLAN_FILE } from '../plan/format.js';
import { compile, type CompileOptions } from '../plan/compile.js';
import { writePlanDir } from '../plan/write.js';
import type { PlanFile } from '../plan/format-schema.js';
import type { LoadedSpec } from '../spec/load.js';
import { VERSION } from '../version.js';
import { Progress, plural } from './output.js';

/** What a plan was made from: the spec's text, and the params files it reads (their digests). */
export function sourceDigest(loaded: LoadedSpec): string {
  if (!loaded.inputs?.length) return loaded.source.sha256;
  const h = createHash('sha256').update(loaded.source.text);
  for (const i of loaded.inputs) h.update(`\0${i.file}\0${i.sha256}`);
  return h.digest('hex');
}

export async function writeSpecPlan(
  loaded: LoadedSpec,
  output: string,
  force: boolean,
  limits: CompileOptions = {},
): Promise<PlanFile> {
  if (force) await refuseActivePlan(output);
  const compiled = compile(loaded, limits);
  const progress = new Progress();
  const file = await writePlanDir(
    output,
    compiled,
    {
      batchplanVersion: VERSION,
      source: { file: loaded.source.file, format: loaded.format, sha256: sourceDigest(loaded) },
    },
    {
      force,
      onProgress: (n, total) =>
        progress.update(`compiling: ${plural(n, 'task')} of ${total.toLocaleString('en-US')}`),
    },
  );
  progress.done();
  return file;
}

/** Replacing a plan whose jobs are queued or running would orphan them: refused, naming them. */
async function refuseActivePlan(output: string): Promise<void> {
  if (!existsSync(join(output, PLAN_FILE))) return;
  // Imported here: only a --force over an existing plan pays for the runners' registry.
  const { activeJobsOfPlan } = await import('../submit/active-jobs.js');
  const active = await activeJobsOfPlan(output);
  if (active.length === 0) return;
  const jobs = active.map((a) => `${a.runner} job${a.jobIds.length > 1 ? 's' : ''} ${a.jobIds.join(', ')}`);
  throw new BatchplanError(
    'E_PLAN_EXISTS',
    `plan ${output} has jobs queued or running (${jobs.join('; ')}); replacing it would leave them running against a plan that is gone`,
    `Cancel them first (batchplan cancel ${output}) or wait for them (batchplan wait ${output}), then plan --force again.`,
  );
}
