// Spec file -> plan directory, shared by `plan` and `run`.
import { createHash } from 'node:crypto';
import { compile, type CompileOptions } from '../plan/compile.js';
import { writePlanDir } from '../plan/write.js';
import type { PlanFile } from '../plan/format-schema.js';
import type { LoadedSpec } from '../spec/load.js';
import { VERSION } from '../version.js';
import { Progress, plural } from './output.js';

export function specDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function writeSpecPlan(
  loaded: LoadedSpec,
  output: string,
  force: boolean,
  limits: CompileOptions = {},
): Promise<PlanFile> {
  const compiled = compile(loaded, limits);
  const progress = new Progress();
  const file = await writePlanDir(
    output,
    compiled,
    {
      batchplanVersion: VERSION,
      source: { file: loaded.source.file, format: loaded.format, sha256: specDigest(loaded.source.text) },
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
