// Saturn output paths: a local directory, or a URL (sfs://, s3://, gs://, ...) that a run's files are
// copied to when it ends, with one copy command per scheme (which also reads a status_code back) and
// one remove command (for a stale status_code). Read at plan time (to refuse a scheme with no
// command) and by run-partition (to copy); kept free of heavy imports for the latter.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Copy commands per scheme, run as `CMD LOCAL_FILE URL` to upload and `CMD URL LOCAL_FILE` to read a
 * status_code back (as cp does). BATCHPLAN_COPY_<SCHEME> overrides.
 */
export const DEFAULT_COPY_COMMANDS: Readonly<Record<string, string>> = {
  sfs: 'saturnfs cp',
  s3: 'aws s3 cp',
  gs: 'gsutil cp',
};

/** Remove commands per scheme, run as `CMD URL`. BATCHPLAN_RM_<SCHEME> overrides. */
export const DEFAULT_REMOVE_COMMANDS: Readonly<Record<string, string>> = {
  sfs: 'saturnfs rm',
  s3: 'aws s3 rm',
  gs: 'gsutil rm',
};

/** The scheme of a URL output path (lower case), or undefined for a local path. */
export function outputScheme(path: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1]!.toLowerCase();
}

/** A task's output as the plan keeps it: a URL as given, a local path (or file:// URL) absolute. */
export function outputPath(baseDir: string, path: string): string {
  const scheme = outputScheme(path);
  if (scheme === 'file') return fileURLToPath(path);
  return scheme ? path : resolve(baseDir, path);
}

/** The variable that overrides a scheme's copy command: BATCHPLAN_COPY_S3, BATCHPLAN_COPY_SFS, ... */
export function copyVariable(scheme: string): string {
  return `BATCHPLAN_COPY_${scheme.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function copyCommand(scheme: string, env: NodeJS.ProcessEnv): string | undefined {
  return env[copyVariable(scheme)] || DEFAULT_COPY_COMMANDS[scheme];
}

/** The variable that overrides a scheme's remove command: BATCHPLAN_RM_S3, ... */
export function removeVariable(scheme: string): string {
  return copyVariable(scheme).replace(/^BATCHPLAN_COPY_/, 'BATCHPLAN_RM_');
}

export function removeCommand(scheme: string, env: NodeJS.ProcessEnv): string | undefined {
  return env[removeVariable(scheme)] || DEFAULT_REMOVE_COMMANDS[scheme];
}

/** A URL and a relative path joined with one '/'. */
export function joinUrl(url: string, rel: string): string {
  return `${url.replace(/\/+$/, '')}/${rel}`;
}
