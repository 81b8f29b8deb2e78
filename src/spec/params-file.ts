// A template stage's params from a file: `params: {file: runs.jsonl}`. JSON lines, a JSON array,
// a YAML list, or CSV/TSV with a header row (every value a string). Read when the spec is loaded,
// so compile stays pure; errors name the file and line. The file's digest joins the spec's, so a
// changed params file is a changed spec (`run` does not resume a plan of the old one).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BatchplanError, SpecError } from '../errors.js';
import type { ParamsRow, Spec, StageSpec } from './schema.js';
import type { SpecSource } from './source.js';

export const PARAMS_FORMATS = ['jsonl', 'json', 'yaml', 'csv', 'tsv'] as const;
export type ParamsFormat = (typeof PARAMS_FORMATS)[number];

const BY_EXTENSION: Record<string, ParamsFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.csv': 'csv',
  '.tsv': 'tsv',
};

/** Extensions that name a params file, never a commands file (`plan runs.jsonl` is refused). */
export const PARAMS_ONLY_EXTENSIONS = ['.jsonl', '.ndjson', '.csv', '.tsv'];

/** Same limit as a spec file: the rows are held in memory while the plan is compiled. */
const MAX_PARAMS_BYTES = 256 << 20;

export interface SpecInput {
  file: string;
  sha256: string;
}

/** The stage's rows; the loader has replaced every `{file}` by its rows before compile sees it. */
export function paramRows(params: StageSpec['params']): ParamsRow[] | undefined {
  if (params === undefined || Array.isArray(params)) return params;
  throw new BatchplanError('E_INTERNAL', `params file ${params.file} was not read before compiling`);
}

/** Replace each stage's `params: {file}` by the file's rows (paths relative to `baseDir`). */
export function resolveParamsFiles(
  spec: Spec,
  baseDir: string,
  source: SpecSource,
): { spec: Spec; inputs: SpecInput[] } {
  const inputs: SpecInput[] = [];
  if (!spec.stages.some((s) => s.params && !Array.isArray(s.params))) return { spec, inputs };
  const stages = spec.stages.map((stage, k) => {
    const p = stage.params;
    if (!p || Array.isArray(p)) return stage;
    const where = source.locate(['stages', k, 'params', 'file']);
    const file = resolve(baseDir, p.file);
    const format = p.format ?? BY_EXTENSION[extname(file).toLowerCase()];
    if (!format)
      throw new SpecError('E_SPEC_INVALID', [
        {
          location: where,
          message: `cannot tell the format of params file ${p.file} from its extension; add format: (one of ${PARAMS_FORMATS.join(', ')})`,
        },
      ]);
    const text = readParams(file, p.file, where);
    inputs.push({ file: p.file, sha256: createHash('sha256').update(text).digest('hex') });
    return { ...stage, params: parseParams(text, format, p.file) };
  });
  return { spec: { ...spec, stages }, inputs };
}

function readParams(file: string, shown: string, where: ReturnType<SpecSource['locate']>): string {
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_PARAMS_BYTES)
      throw Object.assign(new Error(`over ${MAX_PARAMS_BYTES >> 20} MiB`), { code: 'EFBIG' });
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new SpecError('E_SPEC_INVALID', [
      { location: where, message: `cannot read params file ${shown} (${file}): ${why}` },
    ]);
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) throw paramsError(shown, undefined, 'is not valid UTF-8; save it as UTF-8');
  return text.replace(/^\uFEFF/, '');
}

function paramsError(file: string, line: number | undefined, message: string): SpecError {
  return new SpecError('E_SPEC_PARSE', [{ location: { file, ...(line ? { line } : {}) }, message }]);
}

/** Rows of a params file; each is an object of strings, numbers and booleans. */
export function parseParams(text: string, format: ParamsFormat, file: string): ParamsRow[] {
  switch (format) {
    case 'jsonl':
      return jsonLines(text, file);
    case 'json':
      return list(
        parseWith(() => JSON.parse(text) as unknown, file),
        file,
      );
    case 'yaml':
      return list(
        parseWith(() => parseYaml(text, { maxAliasCount: 10_000 }) as unknown, file),
        file,
      );
    case 'csv':
    case 'tsv':
      return delimited(text, format === 'csv' ? ',' : '\t', file);
  }
}

function parseWith(parse: () => unknown, file: string): unknown {
  try {
    return parse();
  } catch (err) {
    throw paramsError(file, undefined, `does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
}

function jsonLines(text: string, file: string): ParamsRow[] {
  const rows: ParamsRow[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw paramsError(file, k + 1, `not a JSON line: ${(err as Error).message}`);
    }
    rows.push(row(value, file, k + 1, `line ${k + 1}`));
  });
  return rows;
}

function list(value: unknown, file: string): ParamsRow[] {
  if (!Array.isArray(value))
    throw paramsError(file, undefined, 'must be a list of objects (one per task), e.g. [{"x": 1}, {"x": 2}]');
  return value.map((v, k) => row(v, file, undefined, `entry [${k}]`));
}

function row(value: unknown, file: string, line: number | undefined, what: string): ParamsRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw paramsError(file, line, `${what} is not an object of named values (e.g. {"x": 1})`);
  for (const [key, v] of Object.entries(value))
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw paramsError(
        file,
        line,
        `${what}: '${key}' is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}; a param is a string, number or boolean`,
      );
  return value as ParamsRow;
}

/** CSV (RFC 4180: quoted fields may hold the delimiter, quotes and newlines) or TSV, header first. */
function delimited(text: string, sep: string, file: string): ParamsRow[] {
  const records = splitRecords(text, sep, file);
  const header = records.shift();
  if (!header) throw paramsError(file, undefined, 'is empty; the first line names the columns');
  const names = header.fields;
  const seen = new Set<string>();
  for (const n of names) {
    if (!n) throw paramsError(file, header.line, 'the header has an empty column name');
    if (seen.has(n)) throw paramsError(file, header.line, `the header names column '${n}' twice`);
    seen.add(n);
  }
  return records.map(({ fields, line }) => {
    if (fields.length !== names.length)
      throw paramsError(
        file,
        line,
        `${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${names.length} (${names.join(', ')})`,
      );
    return Object.fromEntries(names.map((n, k) => [n, fields[k]!]));
  });
}

function splitRecords(text: string, sep: string, file: string): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false; // the record has a character (a blank line is no record)
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '' && sep === ',') {
      quoted = true;
      any = true;
    } else if (c === sep) {
      fields.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (any || field) out.push({ fields: [...fields, field], line: start });
      fields = [];
      field = '';
      any = false;
      start = ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw paramsError(file, start, 'a quoted field is not closed');
  if (any || field) out.push({ fields: [...fields, field], line: start });
  return out;
}

/** `plan runs.jsonl`: a params file is not a list of shell commands (it would run `{"x":1}`). */
export function refuseParamsAsCommands(file: string): void {
  if (!PARAMS_ONLY_EXTENSIONS.includes(extname(file).toLowerCase())) return;
  throw new BatchplanError(
    'E_SPEC_PARSE',
    `${file} looks like a params file (${extname(file)}), not a spec or a list of commands`,
    `Use it from a template stage of a spec: {stages: [{name: s, template: "cmd {{x}}", params: {file: ${file}}}]}; or pass --format commands if it really holds one shell command per line.`,
  );
}
