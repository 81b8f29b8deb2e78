// Read what the user wrote (YAML/JSON spec, Saturn batch file, or one command per line) and
// validate it. Every form becomes a `Spec`; problems become a SpecError with file, path and line.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { hasDuplicateKeys } from './json-duplicates.js';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BatchplanError, SpecError } from '../errors.js';
import { saturnBatchSchema, specSchema, type Spec } from './schema.js';
import { formatPath, SpecSource, type DocPath } from './source.js';
import { commandsToSpec, saturnToSpec, type SaturnInputOptions } from './forms.js';

export type SpecFormat = 'spec' | 'commands' | 'saturn';

export interface LoadedSpec {
  spec: Spec;
  source: SpecSource;
  format: SpecFormat;
  /** Directory relative paths in the spec (cwd, output) are resolved against. */
  baseDir: string;
  /** Things accepted but worth saying (on stderr), e.g. keys saturn-client ignores. */
  warnings?: string[];
}

/** For a Saturn batch file: sc split's --skip-failures and --max-jobs. */
export type SaturnLoadOptions = Pick<SaturnInputOptions, 'skipFailures' | 'maxJobs'>;

const STRUCTURED = new Set(['.yaml', '.yml', '.json']);

/** `-` reads standard input (a commands list, as qdo's `load -`). */
export function loadSpecFile(
  file: string,
  opts: { format?: SpecFormat; stdin?: () => string; saturn?: SaturnLoadOptions } = {},
): LoadedSpec {
  const fromStdin = file === '-';
  let text: string;
  try {
    text = fromStdin ? (opts.stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BatchplanError(
      'E_SPEC_PARSE',
      `cannot read spec ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message}`,
      'Pass a YAML/JSON spec, a Saturn batch file, or a text file with one command per line.',
    );
  }
  const name = fromStdin ? 'stdin' : file;
  const baseDir = fromStdin ? process.cwd() : dirname(resolve(file));
  const format =
    opts.format ?? (fromStdin || !STRUCTURED.has(extname(file).toLowerCase()) ? 'commands' : undefined);
  if (format === 'commands') {
    const stage = fromStdin ? 'commands' : basename(file, extname(file)) || 'commands';
    return { spec: commandsToSpec(text, stage), source: new SpecSource(name, text, false), format, baseDir };
  }
  return parseStructured(name, text, baseDir, format, opts.saturn);
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
  return { spec: validate(specSchema, data, source), source, format: 'spec', baseDir };
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
  return doc.toJS({ maxAliasCount: 10_000 });
}

function validate<T>(schema: z.ZodType<T>, data: unknown, source: SpecSource): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    // Point at the unknown key itself, not its object.
    const at = keys.length === 1 ? [...path, keys[0]!] : path;
    return { location: source.locate(at), message: describeIssue(issue, valueAt(data, path)) };
  });
  throw new SpecError('E_SPEC_INVALID', issues);
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  // zod does not report the input by default, so look the value up: absent means missing.
  if (issue.code === 'invalid_type' && value === undefined)
    return `missing required key (expected ${issue.expected})`;
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
