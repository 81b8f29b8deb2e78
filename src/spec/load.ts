// Read what the user wrote (YAML/JSON spec, Saturn batch file, or one command per line) and
// validate it. Every form becomes a `Spec`; problems become a SpecError with file, path and line.
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { hasDuplicateKeys } from './json-duplicates.js';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BatchplanError, SpecError } from '../errors.js';
import { saturnBatchSchema, specSchema, type Spec } from './schema.js';
import { formatPath, SpecSource, type DocPath } from './source.js';
import { keyNames } from './key-names.js';
import { didYouMean } from '../util/did-you-mean.js';
import { saturnToSpec, type SaturnInputOptions } from './forms.js';
import { commandsFromBytes, commandsFromFile, type CommandsFile } from './commands-file.js';
import { notUtf8Error } from './utf8.js';
import { refuseParamsAsCommands, resolveParamsFiles, type SpecInput } from './params-file.js';

export type SpecFormat = 'spec' | 'commands' | 'saturn';

export interface LoadedSpec {
  spec: Spec;
  source: SpecSource;
  format: SpecFormat;
  /** Directory relative paths in the spec (cwd, output) are resolved against. */
  baseDir: string;
  /** A commands file, read as a stream: compile pulls its commands from here, not from `spec`. */
  commands?: CommandsFile;
  /** Files the spec reads (params files): part of what the plan was made from. */
  inputs?: SpecInput[];
  /** Things accepted but worth saying (on stderr), e.g. keys saturn-client ignores. */
  warnings?: string[];
}

/** For a Saturn batch file: sc split's --skip-failures and --max-jobs. */
export type SaturnLoadOptions = Pick<SaturnInputOptions, 'skipFailures' | 'maxJobs'>;

const STRUCTURED = new Set(['.yaml', '.yml', '.json']);

/** `-` reads standard input (a commands list, as qdo's `load -`). */
export function loadSpecFile(
  file: string,
  opts: { format?: SpecFormat; stdin?: () => string | Buffer; saturn?: SaturnLoadOptions } = {},
): LoadedSpec {
  const fromStdin = file === '-';
  const name = fromStdin ? 'stdin' : file;
  const baseDir = fromStdin ? process.cwd() : dirname(resolve(file));
  const format =
    opts.format ?? (fromStdin || !STRUCTURED.has(extname(file).toLowerCase()) ? 'commands' : undefined);
  const read = () => (fromStdin ? (opts.stdin ?? (() => readFileSync(0)))() : readFileSync(file));
  if (format === 'commands' && !opts.format && !fromStdin) refuseParamsAsCommands(file);
  if (format === 'commands') {
    const stage = fromStdin ? 'commands' : basename(file, extname(file)) || 'commands';
    // Streamed from a file (no size limit: nothing is held whole); standard input is read once.
    const commands = reading(file, () => {
      if (!fromStdin) return commandsFromFile(file, stage);
      const bytes = read();
      const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      checkSize(name, buf.length);
      return commandsFromBytes(name, buf, stage);
    });
    return {
      spec: commandsSpec(commands),
      commands,
      source: new SpecSource(name, () => commands.text(), false, commands.sha256),
      format,
      baseDir,
    };
  }
  const text = reading(file, () => {
    if (!fromStdin) checkSize(file, statSync(file).size);
    const bytes = read();
    return typeof bytes === 'string' ? bytes : decodeUtf8(name, bytes);
  });
  return parseStructured(name, text, baseDir, format, opts.saturn);
}

/** A commands file's spec: its task list is built only if someone looks (compile streams it). */
function commandsSpec(commands: CommandsFile): Spec {
  let tasks: { cmd: string }[] | undefined;
  const stage = { name: commands.stage } as Spec['stages'][number];
  Object.defineProperty(stage, 'tasks', {
    enumerable: true,
    get: () => (tasks ??= Array.from(commands.commands(), (cmd) => ({ cmd }))),
  });
  return { stages: [stage] };
}

function reading<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof BatchplanError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new BatchplanError(
      'E_SPEC_PARSE',
      `cannot read spec ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message}`,
      'Pass a YAML/JSON spec, a Saturn batch file, or a text file with one command per line.',
    );
  }
}

/** Bigger specs are refused before they are read: the YAML parser needs ~20 times the text. */
export const MAX_SPEC_BYTES = 64 << 20;

function checkSize(file: string, size: number): void {
  if (size > MAX_SPEC_BYTES)
    throw new BatchplanError(
      'E_SPEC_PARSE',
      `spec ${file} is ${(size / 2 ** 20).toFixed(0)} MiB, over the limit of ${MAX_SPEC_BYTES >> 20} MiB`,
      'Describe many tasks with a `matrix` or a `template` with `params` instead of listing each one, or split the spec.',
    );
}

/** Strict UTF-8 (./utf8.ts). */
function decodeUtf8(file: string, bytes: Buffer): string {
  checkSize(file, bytes.length);
  if (isUtf8(bytes)) return bytes.toString('utf8');
  throw notUtf8Error(file, bytes);
}

function parseStructured(
  file: string,
  text: string,
  baseDir: string,
  forced?: SpecFormat,
  saturn: SaturnLoadOptions = {},
): LoadedSpec {
  const source = new SpecSource(file, text, true);
  const data = parseData(file, text);
  const isSaturn =
    forced === 'saturn' || (forced === undefined && isObject(data) && 'runs' in data && !('stages' in data));
  if (isSaturn) {
    const batch = validate(saturnBatchSchema, data, source);
    const stage = basename(file, extname(file)) || 'batch';
    const { spec, warnings } = saturnToSpec(batch, stage, { ...saturn, baseDir, env: process.env });
    return { spec, source, format: 'saturn', baseDir, warnings: warnings.map((w) => `${file}: ${w}`) };
  }
  const { spec, inputs } = resolveParamsFiles(validate(specSchema, data, source), baseDir, source);
  return { spec, source, format: 'spec', baseDir, ...(inputs.length ? { inputs } : {}) };
}

function parseData(file: string, text: string): unknown {
  // JSON.parse first: it is an order of magnitude faster than the YAML parser on big params lists.
  try {
    const data: unknown = JSON.parse(text);
    if (!hasDuplicateKeys(text)) return data;
    // A key given twice: the YAML parser (JSON is YAML) reports it with its line and path.
  } catch {
    /* not JSON: YAML (which reports lines) */
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      'E_SPEC_PARSE',
      doc.errors.map((e) => ({
        location: {
          file,
          line: lineCounter.linePos(e.pos[0]).line,
          // A duplicate key is well-formed enough to say where it sits: `stages[0].name`.
          ...(e.code === 'DUPLICATE_KEY'
            ? { path: formatPath(pathAt(doc.contents, e.pos[0])) || undefined }
            : {}),
        },
        message: e.message.split('\n')[0]!,
      })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 10_000 });
  } catch (err) {
    // An alias bomb (aliases of aliases, billions of nodes): the parser stops it; say so plainly.
    throw new SpecError('E_SPEC_PARSE', [
      { location: { file }, message: `${firstLine(err)} (YAML aliases expand to too many nodes)` },
    ]);
  }
}

/** Check `data` against `schema`; issues become one SpecError with their paths (and lines, for a file). */
export function validate<T>(schema: z.ZodType<T>, data: unknown, source: SpecSource): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    // Point at the unknown key itself, not its object.
    const at = keys.length === 1 ? [...path, keys[0]!] : path;
    return { location: source.locate(at), message: describeIssue(issue, valueAt(data, path), schema) };
  });
  throw new SpecError('E_SPEC_INVALID', issues);
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown, schema: z.ZodType): string {
  if (issue.code === 'unrecognized_keys') {
    const known = keyNames(schema);
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'${didYouMean(k, known)}`).join(', ')}`;
  }
  // zod does not report the input by default, so look the value up: absent means missing.
  if (issue.code === 'invalid_type' && value === undefined)
    return `missing required key (expected ${issue.expected})`;
  // YAML reads an unquoted true, no, null or 3.10 as a boolean, null or number, not as text.
  if (
    issue.code === 'invalid_type' &&
    issue.expected === 'string' &&
    (value === null || typeof value === 'boolean' || typeof value === 'number')
  )
    return `expected a string, got the ${value === null ? 'value' : typeof value} ${String(value)}; quote it ("${String(value)}") if it is meant as text (YAML reads an unquoted true, no, null or number as such)`;
  return issue.message;
}

function valueAt(data: unknown, path: DocPath): unknown {
  let v = data;
  for (const p of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The document path of the key or value at `offset` (for errors the YAML parser reports by offset). */
function pathAt(node: unknown, offset: number, path: (string | number)[] = []): (string | number)[] {
  const within = (n: unknown) => isNode(n) && n.range && offset >= n.range[0] && offset < n.range[2];
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (within(pair.key)) return [...path, key];
      if (within(pair.value)) return pathAt(pair.value, offset, [...path, key]);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) if (within(item)) return pathAt(item, offset, [...path, i]);
  }
  return path;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
