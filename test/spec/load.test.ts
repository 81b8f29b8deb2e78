// Loading what the user wrote: YAML and JSON specs, commands files, Saturn batch files, and the
// errors that point at the file, the path inside it and the line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchplanError, SpecError } from '../../src/errors.js';
import { loadSpecFile, type LoadedSpec, type SpecFormat } from '../../src/spec/load.js';
import { compile } from '../../src/plan/compile.js';
import { FIXTURES, scratch } from '../helpers.js';

const dir = scratch();
const EXAMPLES = join(FIXTURES, 'examples');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line containing `needle` (so expectations follow the text). */
function lineOf(text: string, needle: string, nth = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (const [i, l] of lines.entries()) if (l.includes(needle) && ++seen === nth) return i + 1;
  throw new Error(`'${needle}' not in text`);
}

function loadError(file: string, opts: { format?: SpecFormat; stdin?: () => string } = {}): SpecError {
  try {
    loadSpecFile(file, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error(`expected ${file} to be refused`);
}

const SPEC_YAML = `# a comment
defaults:
  retries: 2
  env: {A: 1}
stages:
  - name: extract
    timeout: 10m
    tasks:
      - cmd: echo one
      - {cmd: echo two, id: second}
  - name: merge
    after: [extract]
    template: "merge {{x}}"
    params:
      - {x: 1}
`;

const SPEC_OBJECT = {
  defaults: { retries: 2, env: { A: 1 } },
  stages: [
    {
      name: 'extract',
      timeout: '10m',
      tasks: [{ cmd: 'echo one' }, { cmd: 'echo two', id: 'second' }],
    },
    { name: 'merge', after: ['extract'], template: 'merge {{x}}', params: [{ x: 1 }] },
  ],
};

describe('structured specs', () => {
  it('loads a YAML spec as written', () => {
    const file = write('ok.yaml', SPEC_YAML);
    const loaded = loadSpecFile(file);
    expect(loaded.format).toBe('spec');
    expect(loaded.spec).toEqual(SPEC_OBJECT);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.source.file).toBe(file);
    expect(loaded.source.text).toBe(SPEC_YAML);
  });

  it('loads the same spec written as JSON (and .yml) to the same value', () => {
    const json = loadSpecFile(write('ok.json', JSON.stringify(SPEC_OBJECT, null, 2)));
    const yml = loadSpecFile(write('ok.yml', SPEC_YAML));
    expect(json.format).toBe('spec');
    expect(json.spec).toEqual(SPEC_OBJECT);
    expect(yml.spec).toEqual(SPEC_OBJECT);
  });

  it('resolves the base directory of a relative path against the working directory', () => {
    const sub = join(dir, 'rel');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'spec.yaml'), SPEC_YAML);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(loadSpecFile('rel/spec.yaml').baseDir).toBe(sub);
    } finally {
      process.chdir(cwd);
    }
  });

  it('loads the example sweep', () => {
    const loaded = loadSpecFile(join(EXAMPLES, 'sweep.yaml'));
    expect(loaded.spec.stages.map((s) => s.name)).toEqual(['extract', 'merge']);
    expect(loaded.spec.stages[0]!.matrix).toEqual({ group: { range: [0, 12] }, part: ['a', 'b', 'c'] });
  });
});

describe('invalid specs: file, path and line', () => {
  it('an unknown key points at the key itself', () => {
    const text = `stages:
  - name: a
    tasks:
      - cmd: echo 1
      - cmd: echo 2
        colour: blue
`;
    const file = write('unknown.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.exitCode).toBe(4);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({
      file,
      path: 'stages[0].tasks[1].colour',
      line: lineOf(text, 'colour:'),
    });
    expect(err.issues[0]!.message).toBe("unknown key 'colour'");
    expect(err.message).toBe(
      `${file}:${lineOf(text, 'colour:')} (stages[0].tasks[1].colour): unknown key 'colour'`,
    );
  });

  it('an unknown top-level key is reported too (strict objects all the way up)', () => {
    const text = 'stages:\n  - name: a\n    tasks: [{cmd: x}]\nstagez: []\n';
    const err = loadError(write('unknown-top.yaml', text));
    expect(err.issues[0]!.location.path).toBe('stagez');
    expect(err.issues[0]!.location.line).toBe(4);
  });

  it('a wrong type names the path and says what was expected, not "missing"', () => {
    const text = `stages:
  - name: a
    tasks: [{cmd: x}]
  - name: b
    after: [a, 7]
    retries: many
    tasks: [{cmd: y}]
`;
    const file = write('wrong-type.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_INVALID');
    const byPath = new Map(err.issues.map((i) => [i.location.path, i]));
    expect([...byPath.keys()].sort()).toEqual(['stages[1].after[1]', 'stages[1].retries']);
    const after = byPath.get('stages[1].after[1]')!;
    expect(after.location.line).toBe(lineOf(text, 'after:'));
    expect(after.message).toMatch(/expected a string/);
    expect(after.message).not.toMatch(/missing/);
    const retries = byPath.get('stages[1].retries')!;
    expect(retries.location.line).toBe(lineOf(text, 'retries:'));
    expect(retries.message).toMatch(/expected number/);
    expect(retries.message).not.toMatch(/missing/);
    // More than one problem: all of them, one per line, in the message.
    expect(err.message).toMatch(/^2 problems in the spec:/);
    expect(err.message).toContain(`${file}:${lineOf(text, 'retries:')} (stages[1].retries)`);
  });

  it('a number where a command belongs is a wrong type at stages[0].tasks[2].cmd', () => {
    const text = 'stages:\n  - name: a\n    tasks:\n      - cmd: echo\n      - cmd: echo\n      - cmd: 3\n';
    const err = loadError(write('cmd-number.yaml', text));
    expect(err.issues[0]!.location.path).toBe('stages[0].tasks[2].cmd');
    expect(err.issues[0]!.location.line).toBe(6);
    expect(err.issues[0]!.message).toMatch(/expected a string, got the number 3; quote it \("3"\)/);
  });

  it('a missing required key names its path and the line of the object that lacks it', () => {
    const text = `stages:
  - name: a
    tasks:
      - cmd: echo 1
      - cmd: echo 2
      - id: third
        retries: 1
`;
    const file = write('missing.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({
      file,
      path: 'stages[0].tasks[2].cmd',
      line: lineOf(text, 'id: third'),
    });
    expect(err.issues[0]!.message).toMatch(/missing required key/);
  });

  it('a missing stage name is reported at stages[1].name', () => {
    const text = 'stages:\n  - name: a\n    tasks: [{cmd: x}]\n  - tasks: [{cmd: y}]\n';
    const err = loadError(write('missing-name.yaml', text));
    expect(err.issues[0]!.location.path).toBe('stages[1].name');
    expect(err.issues[0]!.location.line).toBe(4);
    expect(err.issues[0]!.message).toMatch(/missing required key/);
  });

  it('a duplicate YAML key is a parse error with its path and line', () => {
    const text = `stages:
  - name: a
    tasks: [{cmd: x}]
    retries: 1
    name: b
`;
    const file = write('dup.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_PARSE');
    expect(err.exitCode).toBe(3);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[0].name', line: lineOf(text, 'name: b') });
    expect(err.issues[0]!.message).toMatch(/unique/i);
  });

  it('a duplicate key deeper down gets the deeper path', () => {
    const text = `defaults:
  env:
    A: 1
    B: 2
    A: 3
stages:
  - name: a
    tasks: [{cmd: x}]
`;
    const err = loadError(write('dup-env.yaml', text));
    expect(err.issues[0]!.location.path).toBe('defaults.env.A');
    expect(err.issues[0]!.location.line).toBe(lineOf(text, 'A: 3'));
  });

  it('a key given twice in a JSON spec is an error with its path and line, not the last one kept', () => {
    const text =
      '{\n  "stages": [\n    {"name": "a", "tasks": [{"cmd": "x", "env": {"K": "1", "\\u004b": "2"}}]}\n  ],\n  "stages": []\n}\n';
    const file = write('dup.json', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_PARSE');
    expect(err.issues[0]!.location.line).toBe(3); // the first duplicate met: K, written twice (once escaped)
    expect(err.issues[0]!.location.path).toBe('stages[0].tasks[0].env.K');
    const top = '{"stages": [{"name": "a", "tasks": [{"cmd": "x"}]}],\n "stages": []}';
    expect(loadError(write('dup-top.json', top)).issues[0]!.location).toMatchObject({
      line: 2,
      path: 'stages',
    });
  });

  it('JSON with equal keys in different objects, or equal strings as values, loads', () => {
    const text = JSON.stringify({
      defaults: { env: { name: 'name' } },
      stages: [
        { name: 'a', tasks: [{ cmd: 'x', env: { cmd: '"cmd", "cmd"' } }] },
        { name: 'b', after: ['a'], tasks: [{ cmd: 'name' }] },
      ],
    });
    expect(loadSpecFile(write('no-dup.json', text)).spec.stages).toHaveLength(2);
  });

  it('JSON specs get the path and the line too', () => {
    const text =
      '{\n  "stages": [\n    {\n      "name": "a",\n      "tasks": [{"cmd": "x", "bogus": 1}]\n    }\n  ]\n}\n';
    const file = write('unknown.json', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[0].tasks[0].bogus', line: 5 });
  });

  it('an empty stages list is refused', () => {
    const err = loadError(write('empty.yaml', 'stages: []\n'));
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues[0]!.location.path).toBe('stages');
    expect(err.issues[0]!.location.line).toBe(1);
  });

  it('an invalid environment variable name is refused at its key', () => {
    const text = 'stages:\n  - name: a\n    env: {"1BAD": x}\n    tasks: [{cmd: x}]\n';
    const err = loadError(write('bad-env.yaml', text));
    expect(err.issues[0]!.location.path).toMatch(/^stages\[0\]\.env/);
    expect(err.issues[0]!.location.line).toBe(3);
  });

  it('a stage name with a newline is refused', () => {
    const err = loadError(
      write('nl.json', JSON.stringify({ stages: [{ name: 'a\nb', tasks: [{ cmd: 'x' }] }] })),
    );
    expect(err.issues[0]!.location.path).toBe('stages[0].name');
    expect(err.issues[0]!.message).toMatch(/control characters/);
  });
});

describe('malformed files', () => {
  it('bad indentation is E_SPEC_PARSE with the line', () => {
    const text = 'stages:\n  - name: a\n   tasks: x\n';
    const file = write('indent.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_PARSE');
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.issues[0]!.location).toEqual({ file, line: 3 });
    expect(err.message).toContain(`${file}:3:`);
  });

  it('a tab used for indentation is E_SPEC_PARSE with the line', () => {
    const text = 'stages:\n  - name: a\n    tasks: [{cmd: x}]\n  - name: b\n\ttasks: []\n';
    const err = loadError(write('tab.yaml', text));
    expect(err.code).toBe('E_SPEC_PARSE');
    expect(err.issues[0]!.location.line).toBe(5);
    expect(err.issues[0]!.message).toMatch(/tab/i);
  });

  it('broken JSON is E_SPEC_PARSE with a line', () => {
    const text = '{"stages": [\n  {"name": "a",\n   "tasks": [{"cmd": "x"}]\n]}\n';
    const err = loadError(write('broken.json', text));
    expect(err.code).toBe('E_SPEC_PARSE');
    expect(err.issues[0]!.location.line).toBe(4);
  });

  it('a missing file is E_SPEC_PARSE saying so', () => {
    const file = join(dir, 'nope.yaml');
    let err: unknown;
    try {
      loadSpecFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BatchplanError);
    expect((err as BatchplanError).code).toBe('E_SPEC_PARSE');
    expect((err as BatchplanError).message).toBe(`cannot read spec ${file}: no such file`);
  });

  it('a directory is E_SPEC_PARSE saying so', () => {
    const sub = join(dir, 'a-dir.yaml');
    mkdirSync(sub, { recursive: true });
    expect(() => loadSpecFile(sub)).toThrow(/is a directory/);
  });
});

describe('commands files', () => {
  const commands =
    '# header\necho one\n\n   \n  echo two  \n  # indented comment\necho "three # not a comment"\r\necho four';

  it('skip blank lines and # comments and become one stage named after the file', () => {
    const loaded = loadSpecFile(write('jobs.txt', commands));
    expect(loaded.format).toBe('commands');
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.spec).toEqual({
      stages: [
        {
          name: 'jobs',
          tasks: [
            { cmd: 'echo one' },
            { cmd: 'echo two' },
            { cmd: 'echo "three # not a comment"' },
            { cmd: 'echo four' },
          ],
        },
      ],
    });
  });

  it('any extension but .yaml/.yml/.json (or none) is a commands file', () => {
    expect(loadSpecFile(write('jobs', 'echo a\n')).spec.stages[0]).toEqual({
      name: 'jobs',
      tasks: [{ cmd: 'echo a' }],
    });
    expect(loadSpecFile(write('list.sh', 'echo a\necho b\n')).spec.stages[0]!.tasks).toHaveLength(2);
  });

  it('the example commands.txt has four commands', () => {
    const loaded = loadSpecFile(join(EXAMPLES, 'commands.txt'));
    expect(loaded.spec.stages).toHaveLength(1);
    expect(loaded.spec.stages[0]!.name).toBe('commands');
    expect(loaded.spec.stages[0]!.tasks!.map((t) => t.cmd)).toEqual([
      'echo one',
      'echo two',
      "sh -c 'echo three >&2'",
      'echo four',
    ]);
  });

  it("'-' reads standard input through the stdin option, as a commands list", () => {
    let calls = 0;
    const loaded = loadSpecFile('-', {
      stdin: () => {
        calls++;
        return 'echo a\n# c\n\necho b\n';
      },
    });
    expect(calls).toBe(1);
    expect(loaded.format).toBe('commands');
    expect(loaded.source.file).toBe('stdin');
    expect(loaded.baseDir).toBe(process.cwd());
    expect(loaded.spec).toEqual({
      stages: [{ name: 'commands', tasks: [{ cmd: 'echo a' }, { cmd: 'echo b' }] }],
    });
  });

  it("'-' with --format spec parses standard input as a spec", () => {
    const loaded = loadSpecFile('-', { format: 'spec', stdin: () => SPEC_YAML });
    expect(loaded.format).toBe('spec');
    expect(loaded.spec).toEqual(SPEC_OBJECT);
  });

  it('a commands file compiles to one task per command, in order', () => {
    const plan = compile(loadSpecFile(write('c2.txt', 'echo x\n# no\necho y\n')));
    expect(plan.stages).toHaveLength(1);
    expect([...plan.stages[0]!.records()]).toEqual([
      { id: 'c2.0', cmd: 'echo x' },
      { id: 'c2.1', cmd: 'echo y' },
    ]);
  });
});

describe('Saturn batch files', () => {
  it('the example JSON becomes one stage whose tasks have output per run, else <batch output>/<index>', () => {
    const loaded = loadSpecFile(join(EXAMPLES, 'saturn-batch.json'));
    expect(loaded.format).toBe('saturn');
    expect(loaded.spec.defaults).toEqual({ nprocs: 2 });
    expect(loaded.spec.stages).toHaveLength(1);
    const stage = loaded.spec.stages[0]!;
    expect(stage.name).toBe('saturn-batch');
    expect(stage.tasks!.map((t) => t.output)).toEqual([
      'saturn-output/0',
      'saturn-output/1',
      'saturn-output/third',
    ]);
    expect(stage.tasks![1]!.cmd).toBe('echo second; echo oops >&2; exit 2');
  });

  it('compiles with output directories resolved against the batch file', () => {
    const plan = compile(loadSpecFile(join(EXAMPLES, 'saturn-batch.json')));
    expect(plan.defaults.nprocs).toBe(2);
    expect([...plan.stages[0]!.records()].map((r) => r.output)).toEqual([
      join(EXAMPLES, 'saturn-output/0'),
      join(EXAMPLES, 'saturn-output/1'),
      join(EXAMPLES, 'saturn-output/third'),
    ]);
  });

  it('a YAML batch without a batch-wide output path sets output only where a run has one', () => {
    const text = `runs:
  - cmd: python train.py --lr 0.1
  - cmd: python train.py --lr 0.01
    remote_output_path: /data/runs/small
`;
    const loaded = loadSpecFile(write('sweep-batch.yaml', text));
    expect(loaded.format).toBe('saturn');
    expect(loaded.spec).toEqual({
      stages: [
        {
          name: 'sweep-batch',
          tasks: [
            { cmd: 'python train.py --lr 0.1' },
            { cmd: 'python train.py --lr 0.01', output: '/data/runs/small' },
          ],
        },
      ],
    });
  });

  it('trailing slashes of the batch output path do not double up', () => {
    const loaded = loadSpecFile(
      write('slash.yaml', 'remote_output_path: out//\nruns:\n  - cmd: a\n  - cmd: b\n'),
    );
    expect(loaded.spec.stages[0]!.tasks!.map((t) => t.output)).toEqual(['out/0', 'out/1']);
  });

  it('an invalid batch file gets the path and line of the problem', () => {
    const text = 'runs:\n  - cmd: a\n  - command: b\n';
    const file = write('bad-batch.yaml', text);
    const err = loadError(file);
    expect(err.code).toBe('E_SPEC_INVALID');
    const paths = err.issues.map((i) => i.location.path);
    expect(paths).toContain('runs[1].command');
    expect(paths).toContain('runs[1].cmd');
    for (const i of err.issues) expect(i.location.line).toBe(3);
  });

  it('a document with both runs and stages is read as a spec, so runs is an unknown key', () => {
    const err = loadError(
      write(
        'both.json',
        JSON.stringify({ runs: [{ cmd: 'a' }], stages: [{ name: 's', tasks: [{ cmd: 'b' }] }] }),
      ),
    );
    expect(err.issues.map((i) => i.location.path)).toEqual(['runs']);
  });
});

describe('--format overrides the extension', () => {
  it('commands: a .yaml file read line by line', () => {
    const loaded = loadSpecFile(write('lines.yaml', 'echo a: b\necho c\n'), { format: 'commands' });
    expect(loaded.format).toBe('commands');
    expect(loaded.spec.stages[0]).toEqual({
      name: 'lines',
      tasks: [{ cmd: 'echo a: b' }, { cmd: 'echo c' }],
    });
  });

  it('spec: a .txt file parsed as a YAML spec', () => {
    const loaded = loadSpecFile(write('spec.txt', SPEC_YAML), { format: 'spec' });
    expect(loaded.format).toBe('spec');
    expect(loaded.spec).toEqual(SPEC_OBJECT);
  });

  it('spec: a real commands file is then refused as the wrong type, not as a missing key', () => {
    const err = loadError(join(EXAMPLES, 'commands.txt'), { format: 'spec' });
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues[0]!.message).toMatch(/expected object/);
    expect(err.issues[0]!.message).not.toMatch(/missing/);
  });

  it('saturn: a batch file with a .txt name', () => {
    const loaded = loadSpecFile(write('batch.txt', '{"runs": [{"cmd": "a"}]}'), { format: 'saturn' });
    expect(loaded.format).toBe('saturn');
    expect(loaded.spec.stages).toEqual([{ name: 'batch', tasks: [{ cmd: 'a' }] }]);
  });

  it('saturn: a spec forced to be a batch file is validated as one', () => {
    const err = loadError(write('forced.yaml', SPEC_YAML), { format: 'saturn' });
    expect(err.code).toBe('E_SPEC_INVALID');
    const paths = err.issues.map((i) => i.location.path);
    expect(paths).toContain('runs');
  });

  it('the default for a spec-looking file is still the spec form', () => {
    const loaded: LoadedSpec = loadSpecFile(write('plain.yaml', SPEC_YAML));
    expect(loaded.format).toBe('spec');
  });
});
