// compile(): stage order, dependency and id checks, settings inheritance, priorities, matrix and
// params expansion with templates. Specs are real files in a scratch directory, so every error can
// be checked for its path and line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.js';
import {
  compile,
  type CompileOptions,
  type CompiledPlan,
  type CompiledStage,
} from '../../src/plan/compile.js';
import { BUILTIN_SETTINGS, type TaskRecord } from '../../src/plan/model.js';
import { compileTaskTemplate } from '../../src/plan/template.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { scratch } from '../helpers.js';
import { handlebarsReference } from './template-reference.js';

const dir = scratch();
let n = 0;

/** Write `text` as a spec file (YAML unless the name says otherwise) and compile it. */
function compileText(text: string, name = `spec-${++n}.yaml`, opts: CompileOptions = {}): CompiledPlan {
  const file = join(dir, name);
  writeFileSync(file, text);
  return compile(loadSpecFile(file), opts);
}

function compileObject(spec: object, opts: CompileOptions = {}): CompiledPlan {
  return compileText(JSON.stringify(spec, null, 2), `spec-${++n}.json`, opts);
}

function compileError(text: string): { err: SpecError; file: string } {
  const file = join(dir, `bad-${++n}.yaml`);
  writeFileSync(file, text);
  const loaded = loadSpecFile(file);
  try {
    compile(loaded);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return { err: err as SpecError, file };
  }
  throw new Error('expected compile to fail');
}

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`'${needle}' not in text`);
  return i + 1;
}

function records(stage: CompiledStage): TaskRecord[] {
  return [...stage.records()];
}

function stage(plan: CompiledPlan, name: string): CompiledStage {
  const s = plan.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

const t = (cmd = 'true') => ({ cmd });

/** The settings a stage inherits (other fields, such as scheduler resources, are not these tests' business). */
const INHERITED = ['retries', 'timeout', 'backoff', 'env', 'cwd', 'nprocs', 'shell'] as const;
function inherited(settings: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of INHERITED)
    if ((settings as Record<string, unknown>)[k] !== undefined)
      out[k] = (settings as Record<string, unknown>)[k];
  return out;
}

describe('stage order', () => {
  it('keeps the written order when nothing depends on anything', () => {
    const names = ['zeta', 'alpha', 'mid', 'beta'];
    const plan = compileObject({ stages: names.map((name) => ({ name, tasks: [t()] })) });
    expect(plan.stages.map((s) => s.name)).toEqual(names);
  });

  it('puts every stage after its dependencies, earliest-written first among the ready', () => {
    const plan = compileObject({
      stages: [
        { name: 'report', after: ['merge'], tasks: [t()] },
        { name: 'extract', tasks: [t()] },
        { name: 'merge', after: ['extract', 'clean'], tasks: [t()] },
        { name: 'clean', tasks: [t()] },
        { name: 'lint', tasks: [t()] },
      ],
    });
    // Ready at first: extract, clean, lint (written 1, 3, 4); merge once extract and clean are done.
    expect(plan.stages.map((s) => s.name)).toEqual(['extract', 'clean', 'merge', 'report', 'lint']);
    expect(stage(plan, 'merge').after).toEqual(['extract', 'clean']);
  });

  it('is a valid topological order on a larger graph, and deterministic', () => {
    // Stage i depends on the stages whose index divides i (a dense, irregular DAG), written in reverse.
    const count = 30;
    const stages = [];
    for (let i = count; i >= 1; i--) {
      const after = [];
      for (let j = 1; j < i; j++) if (i % j === 0) after.push(`s${j}`);
      stages.push({ name: `s${i}`, after, tasks: [t()] });
    }
    const plan = compileObject({ stages });
    const order = plan.stages.map((s) => s.name);
    expect(new Set(order).size).toBe(count);
    const pos = new Map(order.map((name, k) => [name, k]));
    for (const s of stages) for (const dep of s.after) expect(pos.get(dep)!).toBeLessThan(pos.get(s.name)!);
    // s1 is the only root; the primes and 1 are all ready right after it, latest-written (largest) first.
    expect(order[0]).toBe('s1');
    expect(order[1]).toBe('s29');
    expect(compileObject({ stages }).stages.map((s) => s.name)).toEqual(order);
  });

  it('lists a repeated dependency once', () => {
    const plan = compileObject({
      stages: [
        { name: 'a', tasks: [t()] },
        { name: 'b', after: ['a', 'a'], tasks: [t()] },
      ],
    });
    expect(stage(plan, 'b').after).toEqual(['a']);
    expect(plan.stages.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('an unknown dependency is an error at stages[i].after[j] with its line', () => {
    const text = `stages:
  - name: extract
    tasks: [{cmd: x}]
  - name: merge
    after:
      - extract
      - extrakt
    tasks: [{cmd: y}]
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({
      file,
      path: 'stages[1].after[1]',
      line: lineOf(text, 'extrakt'),
    });
    expect(err.issues[0]!.message).toContain("'extrakt'");
    expect(err.issues[0]!.message).toContain('extract, merge');
  });

  it('an unknown dependency in a flow list points at stages[1].after[0]', () => {
    const text =
      'stages:\n  - name: a\n    tasks: [{cmd: x}]\n  - name: b\n    after: [nope]\n    tasks: [{cmd: y}]\n';
    const { err } = compileError(text);
    expect(err.issues[0]!.location.path).toBe('stages[1].after[0]');
    expect(err.issues[0]!.location.line).toBe(5);
  });

  it('a cycle is E_PLAN_CYCLE naming the stages in it', () => {
    const text = `stages:
  - name: fetch
    tasks: [{cmd: x}]
  - name: a
    after: [fetch, c]
    tasks: [{cmd: x}]
  - name: b
    after: [a]
    tasks: [{cmd: x}]
  - name: c
    after: [b]
    tasks: [{cmd: x}]
  - name: downstream
    after: [c]
    tasks: [{cmd: x}]
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_PLAN_CYCLE');
    expect(err.exitCode).toBe(5);
    expect(err.issues).toHaveLength(1);
    const msg = err.issues[0]!.message;
    // Some rotation of a -> c -> b -> a (each stage points at one it waits for), closed on itself.
    const chain = /cycle: (.*)$/.exec(msg)![1]!.split(' -> ');
    expect(chain[0]).toBe(chain.at(-1));
    expect(new Set(chain.slice(0, -1))).toEqual(new Set(['a', 'b', 'c']));
    expect(msg).not.toContain('fetch');
    expect(msg).not.toContain('downstream');
    const first = chain[0]!;
    const i = ['fetch', 'a', 'b', 'c', 'downstream'].indexOf(first);
    expect(err.issues[0]!.location).toEqual({
      file,
      path: `stages[${i}].after`,
      line: lineOf(text, `name: ${first}`) + 1,
    });
  });

  it('a stage after itself is a cycle of one', () => {
    const { err } = compileError('stages:\n  - name: loop\n    after: [loop]\n    tasks: [{cmd: x}]\n');
    expect(err.code).toBe('E_PLAN_CYCLE');
    expect(err.message).toContain('loop -> loop');
  });

  it('duplicate stage names are refused at the second one, naming the first', () => {
    const text = `stages:
  - name: a
    tasks: [{cmd: x}]
  - name: b
    tasks: [{cmd: x}]
  - name: a
    tasks: [{cmd: y}]
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[2].name', line: 6 });
    expect(err.issues[0]!.message).toContain("'a'");
    expect(err.issues[0]!.message).toContain('stages[0]');
  });
});

describe('task ids', () => {
  it('are <stage>.<k> unless given', () => {
    const plan = compileObject({
      stages: [{ name: 'x', tasks: [t('a'), { cmd: 'b', id: 'named' }, t('c')] }],
    });
    expect(records(plan.stages[0]!).map((r) => r.id)).toEqual(['x.0', 'named', 'x.2']);
  });

  it('a duplicate explicit id is refused at its path, within a stage and across stages', () => {
    const text = `stages:
  - name: a
    tasks:
      - {cmd: x, id: one}
      - {cmd: x, id: one}
  - name: b
    tasks:
      - {cmd: y, id: two}
      - {cmd: y, id: one}
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues.map((i) => i.location)).toEqual([
      { file, path: 'stages[0].tasks[1].id', line: 5 },
      { file, path: 'stages[1].tasks[1].id', line: 9 },
    ]);
    for (const i of err.issues) expect(i.message).toBe("duplicate task id 'one'");
  });

  it('an explicit id equal to another stage’s automatic id is refused', () => {
    const text = `stages:
  - name: sweep
    template: "run {{x}}"
    matrix: {x: [1, 2, 3]}
  - name: fix
    tasks:
      - {cmd: y, id: sweep.2}
`;
    const { err, file } = compileError(text);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[1].tasks[0].id', line: 7 });
    expect(err.issues[0]!.message).toMatch(/collides with the automatic id of task 2 of stage 'sweep'/);
  });

  it('an explicit id equal to an automatic id in its own stage is refused', () => {
    const { err } = compileError(
      'stages:\n  - name: a\n    tasks:\n      - {cmd: x}\n      - {cmd: y, id: a.0}\n',
    );
    expect(err.issues[0]!.location.path).toBe('stages[0].tasks[1].id');
  });

  it('ids that only look automatic are accepted', () => {
    const plan = compileObject({
      stages: [
        { name: 'a', tasks: [{ cmd: 'x', id: 'first' }, t()] },
        {
          name: 'b',
          tasks: [
            { cmd: 'y', id: 'a.0' }, // a's task 0 has its own id, so a.0 is free
            { cmd: 'y', id: 'a.2' }, // past the end of a
            { cmd: 'y', id: 'a.01' }, // not the canonical form of 1
            { cmd: 'y', id: 'c.1' }, // no stage c
          ],
        },
      ],
    });
    expect(records(stage(plan, 'a')).map((r) => r.id)).toEqual(['first', 'a.1']);
    expect(records(stage(plan, 'b')).map((r) => r.id)).toEqual(['a.0', 'a.2', 'a.01', 'c.1']);
  });
});

describe('settings: built-in < defaults < stage < task', () => {
  const text = `defaults:
  retries: 1
  timeout: 1m
  backoff: 2s
  env: {A: from-defaults, B: from-defaults, N: 7, F: true}
  cwd: work
  nprocs: 4
  shell: /bin/bash
stages:
  - name: inherits
    tasks:
      - cmd: echo plain
  - name: overrides
    retries: 3
    timeout: 2:00:00
    env: {B: from-stage, C: from-stage}
    cwd: /abs/dir
    nprocs: 2
    shell: /bin/zsh
    tasks:
      - cmd: echo plain
      - cmd: echo own
        retries: 5
        timeout: 30s
        backoff: 500ms
        env: {C: from-task}
        cwd: ../elsewhere
`;

  it('stages inherit the defaults and override them key by key; env merges', () => {
    const plan = compileText(text);
    expect(inherited(plan.defaults)).toEqual({
      retries: 1,
      timeout: 60,
      backoff: 2,
      env: { A: 'from-defaults', B: 'from-defaults', N: '7', F: 'true' },
      cwd: join(dir, 'work'),
      nprocs: 4,
      shell: '/bin/bash',
    });
    expect(inherited(stage(plan, 'inherits').settings)).toEqual(inherited(plan.defaults));
    expect(inherited(stage(plan, 'overrides').settings)).toEqual({
      retries: 3,
      timeout: 7200,
      backoff: 2,
      env: { A: 'from-defaults', B: 'from-stage', C: 'from-stage', N: '7', F: 'true' },
      cwd: '/abs/dir',
      nprocs: 2,
      shell: '/bin/zsh',
    });
  });

  it('a task stores only what it overrides; relative paths resolve against the spec’s directory', () => {
    const plan = compileText(text);
    const [plain, own] = records(stage(plan, 'overrides'));
    expect(plain).toEqual({ id: 'overrides.0', cmd: 'echo plain' });
    expect(own).toEqual({
      id: 'overrides.1',
      cmd: 'echo own',
      retries: 5,
      timeout: 30,
      backoff: 0.5,
      env: { C: 'from-task' },
      cwd: resolve(dir, '../elsewhere'),
    });
  });

  it('relative paths do not depend on the process’s working directory', () => {
    const sub = join(dir, 'nested', 'deeper');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'spec.yaml');
    writeFileSync(file, text);
    const plan = compile(loadSpecFile(file));
    expect(plan.defaults.cwd).toBe(join(sub, 'work'));
    expect(records(stage(plan, 'overrides'))[1]!.cwd).toBe(join(dir, 'nested', 'elsewhere'));
  });

  it('without defaults, the built-in settings apply', () => {
    const plan = compileObject({ stages: [{ name: 's', tasks: [t()] }] });
    expect(inherited(plan.defaults)).toEqual(inherited(BUILTIN_SETTINGS));
    expect(inherited(plan.stages[0]!.settings)).toEqual(inherited(BUILTIN_SETTINGS));
    expect(BUILTIN_SETTINGS).toMatchObject({ retries: 0, backoff: 1, env: {}, shell: '/bin/sh' });
    expect(plan.stages[0]!.settings.timeout).toBeUndefined();
    expect(plan.stages[0]!.settings.nprocs).toBeUndefined();
  });

  it('a bad duration is an error at its path, wherever it is', () => {
    const stages = `stages:
  - name: a
    backoff: soon
    tasks:
      - {cmd: x, timeout: 10 minutes}
`;
    // The defaults are checked before the stages.
    const top = compileError(`defaults:\n  timeout: forever\n${stages}`);
    expect(top.err.code).toBe('E_SPEC_INVALID');
    expect(top.err.issues.map((i) => i.location)).toEqual([
      { file: top.file, path: 'defaults.timeout', line: 2 },
    ]);
    expect(top.err.message).toContain("'forever' is not a duration");
    const { err, file } = compileError(stages);
    expect(err.issues.map((i) => i.location)).toEqual([
      { file, path: 'stages[0].backoff', line: 3 },
      { file, path: 'stages[0].tasks[0].timeout', line: 5 },
    ]);
    expect(err.issues[1]!.message).toContain("'10 minutes' is not a duration");
  });
});

describe('priorities', () => {
  it('order a tasks list, higher first and stable among equals; ids stay the spec-order ids', () => {
    const tasks = [
      { cmd: 'a' },
      { cmd: 'b', priority: 5 },
      { cmd: 'c', priority: 0 },
      { cmd: 'd', priority: 10 },
      { cmd: 'e', priority: 5 },
      { cmd: 'f', priority: -1 },
      { cmd: 'g' },
      { cmd: 'h', priority: 2.5 },
    ];
    const plan = compileObject({ stages: [{ name: 'p', tasks }] });
    const recs = records(plan.stages[0]!);
    expect(recs.map((r) => r.cmd)).toEqual(['d', 'b', 'e', 'h', 'a', 'c', 'g', 'f']);
    // Each record keeps the id of its place in the spec.
    for (const r of recs) expect(r.id).toBe(`p.${tasks.findIndex((x) => x.cmd === r.cmd)}`);
    expect(records(plan.stages[0]!)).toEqual(recs);
  });

  it('the merge task of the example sweep carries its own timeout', () => {
    const plan = compile(loadSpecFile(resolve(import.meta.dirname, '../../fixtures/examples/sweep.yaml')));
    expect(records(stage(plan, 'merge'))[0]!.timeout).toBe(3600);
    expect(stage(plan, 'extract').count).toBe(36);
    expect(plan.totalTasks).toBe(37);
  });
});

describe('matrix', () => {
  it('is the cartesian product, first key slowest', () => {
    const plan = compileObject({
      stages: [
        {
          name: 'm',
          template: '{{x}}-{{y}}-{{z}}',
          matrix: { x: [1, 2], y: ['a', 'b', 'c'], z: [true, false] },
        },
      ],
    });
    const s = plan.stages[0]!;
    expect(s.count).toBe(12);
    const expected: string[] = [];
    for (const x of [1, 2])
      for (const y of ['a', 'b', 'c']) for (const z of [true, false]) expected.push(`${x}-${y}-${z}`);
    const recs = records(s);
    expect(recs.map((r) => r.cmd)).toEqual(expected);
    expect(recs.map((r) => r.id)).toEqual(expected.map((_, k) => `m.${k}`));
  });

  it('ranges exclude the end and take a step', () => {
    const plan = compileObject({
      stages: [
        { name: 'r', template: '{{i}}', matrix: { i: { range: [0, 4] } } },
        { name: 'step', template: '{{i}}', matrix: { i: { range: [1, 10, 4] } } },
        { name: 'neg', template: '{{i}}', matrix: { i: { range: [-2, 1] } } },
        { name: 'wide', template: '{{i}}', matrix: { i: { range: [0, 5, 100] } } },
      ],
    });
    expect(records(stage(plan, 'r')).map((r) => r.cmd)).toEqual(['0', '1', '2', '3']);
    expect(records(stage(plan, 'step')).map((r) => r.cmd)).toEqual(['1', '5', '9']);
    expect(records(stage(plan, 'neg')).map((r) => r.cmd)).toEqual(['-2', '-1', '0']);
    expect(records(stage(plan, 'wide')).map((r) => r.cmd)).toEqual(['0']);
    expect(plan.totalTasks).toBe(4 + 3 + 3 + 1);
  });

  it('an empty range is an error at its path', () => {
    const text = 'stages:\n  - name: r\n    template: "{{i}}"\n    matrix:\n      i: {range: [3, 3]}\n';
    const { err, file } = compileError(text);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[0].matrix.i.range', line: 5 });
    expect(err.issues[0]!.message).toMatch(/empty range/);
  });

  it('a 1000 × 1000 matrix counts 1,000,000 tasks without making them; records are a lazy stream', () => {
    const plan = compileObject({
      stages: [
        {
          name: 'big',
          template: 'run {{a}} {{b}}',
          matrix: { a: { range: [0, 1000] }, b: { range: [0, 1000] } },
        },
      ],
    });
    const s = plan.stages[0]!;
    expect(s.count).toBe(1_000_000);
    expect(plan.totalTasks).toBe(1_000_000);
    const recs = s.records();
    expect(Array.isArray(recs)).toBe(false);
    // Take a few and stop: only those are rendered.
    const first: TaskRecord[] = [];
    for (const r of recs) {
      first.push(r);
      if (first.length === 3) break;
    }
    expect(first).toEqual([
      { id: 'big.0', cmd: 'run 0 0' },
      { id: 'big.1', cmd: 'run 0 1' },
      { id: 'big.2', cmd: 'run 0 2' },
    ]);
    // A second pass starts again from the beginning.
    const again = s.records()[Symbol.iterator]();
    expect(again.next().value).toEqual(first[0]);
    // The 1001st task is the second row.
    let k = 0;
    for (const r of s.records()) {
      if (k++ === 1000) {
        expect(r).toEqual({ id: 'big.1000', cmd: 'run 1 0' });
        break;
      }
    }
  });

  it('a billion-task matrix compiles at once when the limit allows it: nothing is rendered until asked for', () => {
    // Materialising this would take hours and more memory than the machine has.
    const plan = compileObject(
      {
        stages: [
          {
            name: 'huge',
            template: '{{a}}/{{b}}',
            matrix: { a: { range: [0, 20_000] }, b: { range: [0, 50_000] } },
          },
        ],
      },
      { maxTasks: 1e9 },
    );
    expect(plan.totalTasks).toBe(1_000_000_000);
    const iter = plan.stages[0]!.records()[Symbol.iterator]();
    expect([iter.next().value, iter.next().value]).toEqual([
      { id: 'huge.0', cmd: '0/0' },
      { id: 'huge.1', cmd: '0/1' },
    ]);
  });

  it('a template naming a variable the matrix lacks is an error at plan time', () => {
    const text = `stages:
  - name: m
    template: "run {{x}} {{y}}"
    matrix:
      x: [1, 2]
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[0].template', line: 3 });
    expect(err.issues[0]!.message).toContain('{{y}} at line 1, column 13');
    expect(err.issues[0]!.message).toContain('it defines: x');
  });

  it('so is a variable the matrix lacks inside {{q …}}', () => {
    const { err } = compileError(
      'stages:\n  - name: m\n    template: "run {{q nope}}"\n    matrix: {x: [1]}\n',
    );
    expect(err.issues[0]!.location.path).toBe('stages[0].template');
    expect(err.issues[0]!.message).toContain('nope');
  });
});

describe('params', () => {
  it('give one task per entry, in order', () => {
    const plan = compileObject({
      stages: [
        {
          name: 'p',
          template: 'train --lr {{lr}} --name {{name}} --on {{on}}',
          params: [
            { lr: 0.1, name: 'a', on: true },
            { lr: 0.01, name: 'b', on: false },
            { lr: 1e-5, name: 'c', on: true },
          ],
        },
      ],
    });
    expect(records(plan.stages[0]!)).toEqual([
      { id: 'p.0', cmd: 'train --lr 0.1 --name a --on true' },
      { id: 'p.1', cmd: 'train --lr 0.01 --name b --on false' },
      { id: 'p.2', cmd: 'train --lr 0.00001 --name c --on true' },
    ]);
  });

  it('an entry without a variable the template uses is an error at stages[i].params[k]', () => {
    const text = `stages:
  - name: first
    tasks: [{cmd: x}]
  - name: p
    template: "run {{x}} {{y}}"
    params:
      - {x: 1, y: 1}
      - {x: 2, y: 2}
      - {x: 3}
      - {x: 4}
`;
    const { err, file } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    // The first offending entry is enough.
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.location).toEqual({
      file,
      path: 'stages[1].params[2]',
      line: lineOf(text, '{x: 3}'),
    });
    expect(err.issues[0]!.message).toContain('{{y}} at line 1, column 13');
    expect(err.issues[0]!.message).not.toContain('[object Object]');
  });

  it('an entry without a variable used in {{q …}} is an error too, not the word "undefined"', () => {
    const text =
      'stages:\n  - name: p\n    template: "run {{q y}}"\n    params:\n      - {y: 1}\n      - {z: 2}\n';
    const { err, file } = compileError(text);
    expect(err.issues[0]!.location).toEqual({ file, path: 'stages[0].params[1]', line: 6 });
    expect(err.issues[0]!.message).toContain('{{q y}}');
  });

  it('an empty params list is refused', () => {
    const { err } = compileError('stages:\n  - name: p\n    template: "x"\n    params: []\n');
    expect(err.issues[0]!.location.path).toBe('stages[0].params');
  });
});

describe('templates', () => {
  it('{{q x}} shell-quotes so that bash reads the value back exactly', () => {
    const values = ['plain', 'with space', "it's", 'a $HOME `x` "q" \\ ; | & * ?', '', 'new\nline', '-n'];
    const plan = compileObject({
      stages: [{ name: 'q', template: "printf '%s\\0' {{q v}}", params: values.map((v) => ({ v })) }],
    });
    const recs = records(plan.stages[0]!);
    expect(recs[0]!.cmd).toBe("printf '%s\\0' plain");
    expect(recs[2]!.cmd).toBe("printf '%s\\0' 'it'\\''s'");
    for (const [k, r] of recs.entries()) {
      const out = spawnSync('bash', ['-c', r.cmd], { encoding: 'utf8', env: { HOME: '/nowhere' } });
      expect(out.status).toBe(0);
      expect(out.stdout).toBe(`${values[k]}\0`);
    }
  });

  it('values without {{q}} are inserted as written (no HTML escaping)', () => {
    const plan = compileObject({
      stages: [{ name: 'raw', template: 'echo {{v}}', params: [{ v: '<a & "b">' }] }],
    });
    expect(records(plan.stages[0]!)[0]!.cmd).toBe('echo <a & "b">');
  });

  it('{{@index}} is the task’s index in the stage', () => {
    const plan = compileObject({
      stages: [
        { name: 'm', template: '{{@index}}:{{x}}', matrix: { x: ['a', 'b', 'c'] } },
        { name: 'p', template: 'task {{@index}} of {{n}}', params: [{ n: 2 }, { n: 2 }] },
      ],
    });
    expect(records(stage(plan, 'm')).map((r) => r.cmd)).toEqual(['0:a', '1:b', '2:c']);
    expect(records(stage(plan, 'p')).map((r) => r.cmd)).toEqual(['task 0 of 2', 'task 1 of 2']);
  });

  it('output is a template too: Saturn-style directories resolved against the spec', () => {
    const plan = compileObject({
      stages: [
        {
          name: 'rel',
          template: 'train {{lr}}',
          output: 'runs/lr-{{lr}}/{{@index}}',
          params: [{ lr: 0.1 }, { lr: 0.2 }],
        },
        { name: 'abs', template: 'x {{i}}', output: '/data/out/{{i}}', matrix: { i: { range: [0, 2] } } },
        { name: 'none', template: 'x {{i}}', matrix: { i: [1] } },
      ],
    });
    expect(records(stage(plan, 'rel')).map((r) => r.output)).toEqual([
      join(dir, 'runs/lr-0.1/0'),
      join(dir, 'runs/lr-0.2/1'),
    ]);
    expect(records(stage(plan, 'abs')).map((r) => r.output)).toEqual(['/data/out/0', '/data/out/1']);
    expect(records(stage(plan, 'none'))[0]).not.toHaveProperty('output');
  });

  it('plain {{name}} templates render exactly what Handlebars alone renders', () => {
    const templates = [
      'run {{a}} {{b}}',
      '{{a}}{{b}}',
      'x {{~ a ~}} y {{! note }} {{b}}',
      '{{@index}}/{{a}}',
      '[{{[a]}}] {{this.a}}',
      'plain text, no variables',
      '\\{{a}} {{b}}',
      '{{log}} {{a}}',
      '{{{a}}} <{{b}}>',
    ];
    const values: unknown[] = ['v', '<&"\'>', 0, -1.5, true, false, null, [1, 2], { k: 1 }, ''];
    for (const source of templates) {
      const render = compileTaskTemplate(source);
      const reference = handlebarsReference(source);
      for (const [k, a] of values.entries())
        for (const b of values.slice(0, 4)) {
          const vars = { a, b };
          expect(render(vars, k), `${source} with ${JSON.stringify(vars)}`).toBe(reference(vars, k));
        }
      // A variable the entry lacks: Handlebars' own strict-mode error.
      if (/\{\{\s*~?\s*a/.test(source) && !source.startsWith('\\'))
        expect(() => render({ b: 1 }, 0), source).toThrow(/"a" not defined/);
    }
  });

  it('adjacent numbers are joined as text, not added (plain Handlebars renders {{a}}{{b}} as "3")', () => {
    // The quirk this guards against (with noEscape, as templates are compiled).
    expect(Handlebars.compile('{{a}}{{b}}', { noEscape: true })({ a: 1, b: 2 })).toBe('3');
    const cases: [string, Record<string, unknown>, string][] = [
      ['{{a}}{{b}}', { a: 1, b: 2 }, '12'],
      ['{{a}}{{b}}{{c}} x', { a: 1, b: 2, c: 3 }, '123 x'],
      ['{{@index}}{{a}}', { a: 5 }, '75'],
      ['{{#if a}}{{a}}{{b}}{{/if}}', { a: 1, b: 2 }, '12'],
      ['{{#each xs}}{{this}}{{../a}}{{/each}}', { a: 0, xs: [1, 2] }, '1020'],
      ['{{q a}}{{b}}', { a: 1, b: 2 }, '12'],
      ['{{a}}{{b}}', { a: true, b: false }, 'truefalse'],
    ];
    for (const [source, vars, out] of cases) expect(compileTaskTemplate(source)(vars, 7), source).toBe(out);
  });

  it('output on a tasks stage is refused: each task sets its own', () => {
    const { err } = compileError('stages:\n  - name: a\n    output: "o/{{x}}"\n    tasks: [{cmd: x}]\n');
    expect(err.issues[0]!.location.path).toBe('stages[0].output');
    expect(err.issues[0]!.location.line).toBe(3);
  });

  it('a template with a syntax error is reported as one, at template or output', () => {
    const text = `stages:
  - name: a
    template: "run {{x"
    params: [{x: 1}]
  - name: b
    template: "run {{x}}"
    output: "out/{{#if}}"
    params: [{x: 1}]
`;
    const { err } = compileError(text);
    const byPath = new Map(err.issues.map((i) => [i.location.path, i]));
    expect(byPath.get('stages[0].template')?.message).toMatch(
      /^not a valid template: parse error on line 1, column \d+: /,
    );
    expect(byPath.get('stages[0].template')?.location.line).toBe(3);
    expect(byPath.get('stages[1].output')?.message).toMatch(/^not a valid template/);
    expect(err.issues).toHaveLength(2);
  });
});

describe('stage shape', () => {
  it.each([
    [
      'both tasks and template',
      '    tasks: [{cmd: x}]\n    template: "y"\n    params: [{}]\n',
      /either `tasks` or `template`/,
    ],
    ['neither tasks nor template', '    retries: 1\n', /needs `tasks` or a `template`/],
    [
      'a template with both params and matrix',
      '    template: "y"\n    params: [{}]\n    matrix: {x: [1]}\n',
      /exactly one of `params`/,
    ],
    ['a template with neither', '    template: "y"\n', /exactly one of `params`/],
    ['an empty tasks list', '    tasks: []\n', /at least one task/],
  ])('%s is refused at the stage', (_, body, message) => {
    const text = `stages:\n  - name: ok\n    tasks: [{cmd: x}]\n  - name: bad\n${body}`;
    const { err } = compileError(text);
    expect(err.code).toBe('E_SPEC_INVALID');
    expect(err.issues[0]!.location.path).toMatch(/^stages\[1\]/);
    expect(err.issues[0]!.location.line).toBeGreaterThanOrEqual(4);
    expect(err.message).toMatch(message);
  });

  it('params or matrix on a tasks stage is refused at that key', () => {
    const { err } = compileError('stages:\n  - name: a\n    tasks: [{cmd: x}]\n    matrix: {x: [1]}\n');
    expect(err.issues[0]!.location.path).toBe('stages[0].matrix');
    expect(err.issues[0]!.location.line).toBe(4);
  });
});
