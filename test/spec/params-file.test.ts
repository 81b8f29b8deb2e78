// params: {file: …}: a template stage's rows from a JSON lines, JSON, YAML, CSV or TSV file, read at
// load time with errors that name the file and line; a params file is never taken for commands.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParams } from '../../src/spec/params-file.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-params-');
let n = 0;

/** Plan a one-stage spec reading `file` (written with `text`); the commands, or the failed result. */
function planWith(file: string, text: string, extra = '') {
  writeFileSync(join(dir, file), text);
  const spec = join(dir, `spec${++n}.yaml`);
  writeFileSync(
    spec,
    `stages:\n  - name: s\n    template: "run {{q a}} {{b}}"\n    params: {file: ${file}${extra}}\n`,
  );
  const plan = join(dir, `p${n}.plan`);
  const r = cli(['plan', spec, '-o', plan]);
  const cmds =
    r.code === 0
      ? (JSON.parse(cli(['tasks', plan, '--json']).stdout) as { cmd: string }[]).map((t) => t.cmd)
      : [];
  return { ...r, cmds, spec, plan };
}

describe('params files', () => {
  it.each([
    ['runs.jsonl', '{"a": "x y", "b": 1}\n\n{"a": "z", "b": true}\n'],
    ['runs.json', '[{"a": "x y", "b": 1}, {"a": "z", "b": true}]'],
    ['runs.yaml', '- {a: x y, b: 1}\n- {a: z, b: true}\n'],
    ['runs.csv', 'a,b\r\n"x y",1\r\nz,true\r\n'],
    ['runs.tsv', 'a\tb\nx y\t1\nz\ttrue\n'],
  ])('%s makes one task per row', (file, text) => {
    const r = planWith(file, text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.cmds).toEqual(["run 'x y' 1", 'run z true']);
  });

  it('CSV: quoted fields hold commas, quotes and newlines; values stay strings', () => {
    expect(parseParams('a,b\n"1,2","say ""hi"""\n"two\nlines",007\n', 'csv', 'f.csv')).toEqual([
      { a: '1,2', b: 'say "hi"' },
      { a: 'two\nlines', b: '007' },
    ]);
  });

  it.each([
    ['bad.jsonl', '{"a": 1, "b": 2}\n{"a": 1,\n', /bad\.jsonl:2: not a JSON line/],
    [
      'nested.jsonl',
      '{"a": {"x": 1}, "b": 2}\n',
      /nested\.jsonl:1: line 1: 'a' is object; a param is a string, number or boolean/,
    ],
    ['short.csv', 'a,b\n1,2\n3\n', /short\.csv:3: 1 field, the header has 2 \(a, b\)/],
    ['open.csv', 'a,b\n"1,2\n', /open\.csv:2: a quoted field is not closed/],
    ['dup.csv', 'a,a\n1,2\n', /dup\.csv:1: the header names column 'a' twice/],
    ['notlist.json', '{"a": 1}', /notlist\.json: must be a list of objects/],
    ['runs.txt', 'a=1\n', /cannot tell the format of params file runs\.txt .*add format:/],
  ])('%s is refused with its file and line', (file, text, message) => {
    const r = planWith(file, text);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('a missing file is reported at the spec line that names it', () => {
    const spec = join(dir, 'missing.yaml');
    writeFileSync(
      spec,
      'stages:\n  - name: s\n    template: "echo {{a}}"\n    params:\n      file: nosuch.jsonl\n',
    );
    const r = cli(['plan', spec, '-o', join(dir, 'missing.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /missing\.yaml:5 \(stages\[0\]\.params\.file\): cannot read params file nosuch\.jsonl .*no such file/,
    );
  });

  it('format: overrides the extension; a row that lacks a template variable names it', () => {
    expect(planWith('rows.data', 'a,b\n1,2\n', ', format: csv').cmds).toEqual(['run 1 2']);
    const r = planWith('lack.jsonl', '{"a": 1, "b": 2}\n{"a": 1}\n');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/stages\[0\]\.params\[1\].*variable/);
  });

  it('plan of a .jsonl/.csv/.tsv file is refused, not run as shell commands; --format commands forces it', () => {
    for (const f of ['p.jsonl', 'p.csv', 'p.tsv']) {
      writeFileSync(join(dir, f), '{"file": "x.fits"}\n');
      const r = cli(['plan', join(dir, f), '-o', join(dir, `${f}.plan`)]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/looks like a params file .* not a spec or a list of commands/);
      expect(r.stderr).toContain('params: {file:');
    }
    expect(
      cli(['plan', join(dir, 'p.csv'), '-o', join(dir, 'forced.plan'), '--format', 'commands']).code,
    ).toBe(0);
  });

  it('run resumes while the params file is unchanged and refuses a changed one', () => {
    writeFileSync(join(dir, 'r.jsonl'), '{"a": 1, "b": 2}\n');
    const spec = join(dir, 'resume.yaml');
    writeFileSync(spec, 'stages:\n  - {name: s, template: "echo {{a}}{{b}}", params: {file: r.jsonl}}\n');
    const plan = join(dir, 'resume.plan');
    expect(cli(['run', spec, '-o', plan]).code).toBe(0);
    expect(cli(['run', spec, '-o', plan]).stderr).toContain('resuming plan');
    writeFileSync(join(dir, 'r.jsonl'), '{"a": 1, "b": 3}\n');
    const r = cli(['run', spec, '-o', plan]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('holds a plan of a different version');
  });
});
