// A spec from plain objects: the same zod schema, the same SpecError (code, path, message) as a
// YAML file, and the same resolution of params files, so a spec built in code and one written by
// hand plan the same way.
import { resolve } from 'node:path';
import { loadSpecFile, validate, type LoadedSpec } from '../spec/load.js';
import { specSchema, type Spec } from '../spec/schema.js';
import { SpecSource } from '../spec/source.js';
import { resolveParamsFiles } from '../spec/params-file.js';

export interface SpecOptions {
  /** Directory relative paths (cwd, output, params files) are resolved against; default: the cwd. */
  baseDir?: string;
  /** How errors name the spec, e.g. `spec (stages[0].nprocs): expected number`; default `spec`. */
  name?: string;
}

/** A validated spec, ready for `createPlan`. Made by `defineSpec` or `loadSpec`. */
export interface BatchSpec {
  readonly spec: Spec;
  /** @internal what the compiler reads */
  readonly loaded: LoadedSpec;
}

/**
 * Check a spec given as an object: throws a SpecError (`E_SPEC_INVALID`, with each problem's path)
 * exactly as `batchplan plan` does for a file. The argument is typed, so most mistakes are caught
 * by the compiler first.
 */
export function defineSpec(spec: Spec, opts: SpecOptions = {}): BatchSpec {
  const name = opts.name ?? 'spec';
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  // The text is what the plan's digest is taken of (`run` resumes a plan while it is unchanged).
  const source = new SpecSource(name, JSON.stringify(spec), false);
  const valid = validate(specSchema, spec, source);
  const { spec: resolved, inputs } = resolveParamsFiles(valid, baseDir, source);
  return { spec: resolved, loaded: { spec: resolved, source, format: 'spec', baseDir, inputs } };
}

/** Read a spec file (YAML, JSON, a commands file, a Saturn batch file) as `batchplan plan` does. */
export function loadSpec(file: string): BatchSpec {
  const loaded = loadSpecFile(file);
  return { spec: loaded.spec, loaded };
}
