// The plan directory: written atomically, read back exactly, versioned, and a fixed handful of
// files however many tasks it holds.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchplanError } from '../../src/errors.js';
import { compile, type CompiledPlan } from '../../src/plan/compile.js';
import {
  INDEX_FILE,
  PLAN_FILE,
  PLAN_FORMAT_VERSION,
  PLAN_FORMAT_VERSIONS,
  TASKS_FILE,
} from '../../src/plan/format.js';
import type { TaskRecord } from '../../src/plan/model.js';
import { findStage, readPlan, readTasks } from '../../src/plan/read.js';
import { writePlanDir, type PlanMeta } from '../../src/plan/write.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { scratch } from '../helpers.js';

const root = scratch();
let n = 0;

function compileSpec(spec: object): CompiledPlan {
  const file = join(root, `spec-${++n}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return compile(loadSpecFile(file));
}

const META: PlanMeta = {
  batchplanVersion: '9.9.9-test',
  source: { file: 'spec.json', format: 'spec', sha256: 'ab'.repeat(32) },
  createdAt: '2024-01-02T03:04:05.000Z',
};

/** A fresh empty parent directory, so that leftovers (temp directories) can be seen. */
function freshParent(): string {
  const p = join(root, `parent-${++n}`);
  mkdirSync(p);
  return p;
}

function expectError(fn: () => unknown, code: string): BatchplanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BatchplanError);
    expect((err as BatchplanError).code).toBe(code);
    return err as BatchplanError;
  }
  throw new Error(`expected ${code}`);
}

async function expectRejection(promise: Promise<unknown>, code: string): Promise<BatchplanError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BatchplanError);
  expect((err as BatchplanError).code).toBe(code);
  return err as BatchplanError;
}

const SPEC = {
  defaults: { retries: 1, env: { A: 'x' } },
  stages: [
    {
      name: 'prep',
      tasks: [
        { cmd: 'echo héllo ✓ 日本語', priority: 1 },
        { cmd: 'echo "quoted"\ttab', env: { B: 'y' }, cwd: 'sub', retries: 2, timeout: '5s' },
        { cmd: 'echo last', id: 'named', output: 'out/named' },
      ],
    },
    {
      name: 'sweep',
      after: ['prep'],
      template: 'run {{a}} {{q b}} ü',
      matrix: { a: { range: [0, 7] }, b: ['x y', 'z'] },
    },
    { name: 'one', after: ['sweep'], tasks: [{ cmd: 'echo done' }] },
  ],
};

describe('write and read back', () => {
  const parent = freshParent();
  const dest = join(parent, 'round.plan');
  const compiled = compileSpec(SPEC);
  let written: Awaited<ReturnType<typeof writePlanDir>>;
  beforeAll(async () => {
    written = await writePlanDir(dest, compiled, META);
  });
  const all = new Map(compiled.stages.map((s) => [s.name, [...s.records()]] as [string, TaskRecord[]]));

  it('writes exactly plan.json, tasks.jsonl and tasks.idx, and nothing beside the plan', () => {
    // vars/: the template stages' variables (task-vars.ts).
    expect(readdirSync(dest).sort()).toEqual([INDEX_FILE, PLAN_FILE, TASKS_FILE, 'vars'].sort());
    expect(readdirSync(parent)).toEqual(['round.plan']);
    expect(statSync(join(dest, INDEX_FILE)).size).toBe((compiled.totalTasks + 1) * 8);
  });

  it('readPlan returns what writePlanDir returned, with stage offsets and settings', () => {
    const plan = readPlan(dest);
    expect(plan.dir).toBe(dest);
    expect(plan.file).toEqual(written);
    expect(plan.file.version).toBe(PLAN_FORMAT_VERSION);
    expect(plan.file.batchplanVersion).toBe('9.9.9-test');
    expect(plan.file.createdAt).toBe(META.createdAt);
    expect(plan.file.source).toEqual(META.source);
    expect(plan.file.totalTasks).toBe(3 + 14 + 1);
    expect(plan.file.stages.map((s) => [s.name, s.tasks, s.firstTask, s.after])).toEqual([
      ['prep', 3, 0, []],
      ['sweep', 14, 3, ['prep']],
      ['one', 1, 17, ['sweep']],
    ]);
    expect(plan.file.stages[0]).toMatchObject(compiled.stages[0]!.settings);
    expect(plan.file.defaults).toEqual(compiled.defaults);
  });

  it('readTasks of a whole stage returns its records in run order', () => {
    const plan = readPlan(dest);
    for (const s of plan.file.stages) expect(readTasks(plan, s, 0, s.tasks)).toEqual(all.get(s.name));
    // Priority order was kept: the high-priority task first.
    expect(readTasks(plan, plan.file.stages[0]!, 0, 1)[0]!.cmd).toBe('echo héllo ✓ 日本語');
  });

  it('readTasks of any slice returns exactly those records (multi-byte text included)', () => {
    const plan = readPlan(dest);
    for (const s of plan.file.stages) {
      const expected = all.get(s.name)!;
      for (let start = 0; start <= s.tasks; start++)
        for (let end = start; end <= s.tasks; end++)
          expect(readTasks(plan, s, start, end), `${s.name} [${start}, ${end})`).toEqual(
            expected.slice(start, end),
          );
    }
  });

  it('readPlan resolves a relative path', () => {
    const cwd = process.cwd();
    process.chdir(parent);
    try {
      expect(readPlan('round.plan').dir).toBe(dest);
    } finally {
      process.chdir(cwd);
    }
  });

  it('findStage finds by name, and an unknown name is E_UNKNOWN_STAGE listing the stages', () => {
    const plan = readPlan(dest);
    expect(findStage(plan, 'sweep')).toEqual({ stage: plan.file.stages[1], index: 1 });
    const err = expectError(() => findStage(plan, 'swep'), 'E_UNKNOWN_STAGE');
    expect(err.message).toContain("'swep'");
    expect(err.hint).toBe('Stages: prep, sweep, one');
  });

  it('leaves no signal handlers behind', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    await writePlanDir(join(freshParent(), 'p.plan'), compiled, META);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});

describe('replacing', () => {
  const small = compileSpec({ stages: [{ name: 'a', tasks: [{ cmd: 'echo old' }] }] });
  const other = compileSpec({ stages: [{ name: 'b', tasks: [{ cmd: 'echo new' }, { cmd: 'echo newer' }] }] });

  it('refuses to overwrite a plan without force, and leaves it as it was', async () => {
    const parent = freshParent();
    const dest = join(parent, 'p.plan');
    await writePlanDir(dest, small, META);
    const before = readFileSync(join(dest, PLAN_FILE), 'utf8');
    const err = await expectRejection(writePlanDir(dest, other, META), 'E_PLAN_EXISTS');
    expect(err.exitCode).toBe(6);
    expect(err.message).toContain(dest);
    expect(err.hint).toMatch(/--force/);
    expect(readFileSync(join(dest, PLAN_FILE), 'utf8')).toBe(before);
    expect(readdirSync(parent)).toEqual(['p.plan']);
  });

  it('refuses an existing empty directory without force', async () => {
    const dest = join(freshParent(), 'empty');
    mkdirSync(dest);
    await expectRejection(writePlanDir(dest, small, META), 'E_PLAN_EXISTS');
    expect(readdirSync(dest)).toEqual([]);
  });

  it('replaces a plan with force, leaving no old or temp directory', async () => {
    const parent = freshParent();
    const dest = join(parent, 'p.plan');
    await writePlanDir(dest, small, META);
    // A journal directory of the old plan goes with it.
    mkdirSync(join(dest, 'status'));
    await writePlanDir(dest, other, META, { force: true });
    const plan = readPlan(dest);
    expect(plan.file.stages.map((s) => s.name)).toEqual(['b']);
    expect(readTasks(plan, plan.file.stages[0]!, 0, 2).map((r) => r.cmd)).toEqual(['echo new', 'echo newer']);
    expect(readdirSync(dest).sort()).toEqual([INDEX_FILE, PLAN_FILE, TASKS_FILE].sort());
    expect(readdirSync(parent)).toEqual(['p.plan']);
  });

  it('force fills an existing empty directory', async () => {
    const dest = join(freshParent(), 'empty');
    mkdirSync(dest);
    await writePlanDir(dest, small, META, { force: true });
    expect(readPlan(dest).file.totalTasks).toBe(1);
  });

  it('refuses, even with force, a non-empty directory that is not a plan', async () => {
    const parent = freshParent();
    const dest = join(parent, 'home');
    mkdirSync(dest);
    writeFileSync(join(dest, 'thesis.tex'), 'precious');
    const err = await expectRejection(writePlanDir(dest, small, META, { force: true }), 'E_PLAN_EXISTS');
    expect(err.message).toMatch(/not a plan directory/);
    expect(readdirSync(dest)).toEqual(['thesis.tex']);
    expect(readFileSync(join(dest, 'thesis.tex'), 'utf8')).toBe('precious');
    expect(readdirSync(parent)).toEqual(['home']);
  });

  it('creates missing parent directories', async () => {
    const dest = join(freshParent(), 'a', 'b', 'c.plan');
    await writePlanDir(dest, small, META);
    expect(readPlan(dest).file.totalTasks).toBe(1);
  });
});

describe('a failed write leaves nothing behind', () => {
  /** A compiled plan whose second stage throws after `after` records (a few MiB of them). */
  function throwingPlan(after: number): CompiledPlan {
    const base = compileSpec({ stages: [{ name: 'ok', tasks: [{ cmd: 'echo fine' }] }] });
    const pad = 'x'.repeat(200);
    return {
      ...base,
      totalTasks: base.totalTasks + after + 10,
      stages: [
        ...base.stages,
        {
          ...base.stages[0]!,
          name: 'boom',
          count: after + 10,
          *records() {
            for (let k = 0; k < after; k++) yield { id: `boom.${k}`, cmd: `echo ${k} ${pad}` };
            throw new Error('disk on fire');
          },
        },
      ],
    };
  }

  it('no destination and no temp directory when records() throws midway', async () => {
    const parent = freshParent();
    const dest = join(parent, 'p.plan');
    // ~4 MiB of records: several chunks reach the temp file before the failure.
    const err = await expectRejection(writePlanDir(dest, throwingPlan(20_000), META), 'E_IO');
    expect(err.message).toContain('disk on fire');
    expect(err.message).toContain(dest);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('with force, a failed rewrite keeps the old plan intact', async () => {
    const parent = freshParent();
    const dest = join(parent, 'p.plan');
    const old = compileSpec({ stages: [{ name: 'keep', tasks: [{ cmd: 'echo keep' }] }] });
    await writePlanDir(dest, old, META);
    const files = Object.fromEntries(readdirSync(dest).map((f) => [f, readFileSync(join(dest, f))]));
    await expectRejection(writePlanDir(dest, throwingPlan(5), META, { force: true }), 'E_IO');
    expect(readdirSync(parent)).toEqual(['p.plan']);
    for (const [f, bytes] of Object.entries(files))
      expect(readFileSync(join(dest, f)).equals(bytes)).toBe(true);
    const plan = readPlan(dest);
    expect(readTasks(plan, plan.file.stages[0]!, 0, 1)).toEqual([{ id: 'keep.0', cmd: 'echo keep' }]);
  });

  it('a stage that yields fewer records than it counted is an internal error, and nothing is left', async () => {
    const parent = freshParent();
    const base = compileSpec({ stages: [{ name: 'short', tasks: [{ cmd: 'a' }, { cmd: 'b' }] }] });
    const lying: CompiledPlan = {
      ...base,
      totalTasks: 3,
      stages: [{ ...base.stages[0]!, count: 3 }],
    };
    const err = await expectRejection(writePlanDir(join(parent, 'p.plan'), lying, META), 'E_INTERNAL');
    expect(err.message).toMatch(/yielded 2 tasks, expected 3/);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('size', () => {
  it('a 100,000-task plan is still exactly four files, and any slice reads back', async () => {
    const compiled = compileSpec({
      stages: [
        {
          name: 'grid',
          template: 'sim --x {{x}} --y {{y}}',
          matrix: { x: { range: [0, 400] }, y: { range: [0, 250] } },
        },
      ],
    });
    expect(compiled.totalTasks).toBe(100_000);
    const dest = join(freshParent(), 'big.plan');
    await writePlanDir(dest, compiled, META);
    expect(readdirSync(dest).sort()).toEqual([INDEX_FILE, PLAN_FILE, TASKS_FILE, 'vars'].sort());
    // The matrix's variables are its axes, not one entry per task.
    expect(statSync(join(dest, 'vars', 'stage-0.json')).size).toBeLessThan(4000);
    expect(statSync(join(dest, INDEX_FILE)).size).toBe(100_001 * 8);
    const plan = readPlan(dest);
    const stage = plan.file.stages[0]!;
    expect(stage.tasks).toBe(100_000);
    expect(readTasks(plan, stage, 0, 2)).toEqual([
      { id: 'grid.0', cmd: 'sim --x 0 --y 0' },
      { id: 'grid.1', cmd: 'sim --x 0 --y 1' },
    ]);
    expect(readTasks(plan, stage, 99_999, 100_000)).toEqual([
      { id: 'grid.99999', cmd: 'sim --x 399 --y 249' },
    ]);
    const mid = readTasks(plan, stage, 50_123, 50_126);
    expect(mid.map((r) => r.id)).toEqual(['grid.50123', 'grid.50124', 'grid.50125']);
    expect(mid[0]!.cmd).toBe(`sim --x ${Math.floor(50_123 / 250)} --y ${50_123 % 250}`);
  });
});

describe('readPlan refuses what it does not understand', async () => {
  const compiled = compileSpec({ stages: [{ name: 'a', tasks: [{ cmd: 'echo a' }, { cmd: 'echo b' }] }] });

  async function planWith(edit: (json: Record<string, unknown>) => unknown): Promise<string> {
    const dest = join(freshParent(), 'p.plan');
    await writePlanDir(dest, compiled, META);
    const json = JSON.parse(readFileSync(join(dest, PLAN_FILE), 'utf8')) as Record<string, unknown>;
    const out = edit(json);
    writeFileSync(join(dest, PLAN_FILE), typeof out === 'string' ? out : JSON.stringify(json));
    return dest;
  }

  it('an unknown format version is E_PLAN_VERSION naming both versions', async () => {
    const unknown = Math.max(...PLAN_FORMAT_VERSIONS) + 1;
    const dest = await planWith((j) => {
      j.version = unknown;
      j.batchplanVersion = '7.0.0';
    });
    const err = expectError(() => readPlan(dest), 'E_PLAN_VERSION');
    expect(err.exitCode).toBe(8);
    expect(err.message).toContain(`format version ${unknown}`);
    expect(err.message).toContain('batchplan 7.0.0');
    expect(err.message).toContain(`reads version ${PLAN_FORMAT_VERSIONS.join(', ')}`);
    expect(err.hint).toContain('Upgrade batchplan to 7.0.0 or newer');
  });

  it('a plan.json that is not JSON is E_PLAN_CORRUPT', async () => {
    const dest = await planWith((j) => JSON.stringify(j).slice(0, 40));
    const err = expectError(() => readPlan(dest), 'E_PLAN_CORRUPT');
    expect(err.exitCode).toBe(9);
    expect(err.message).toContain(join(dest, PLAN_FILE));
  });

  it('a plan.json of another kind is E_PLAN_CORRUPT', async () => {
    const dest = await planWith(() => '{"name": "some-package", "version": 1}');
    expect(expectError(() => readPlan(dest), 'E_PLAN_CORRUPT').message).toMatch(/not a batchplan plan file/);
  });

  it('a plan.json with a damaged field is E_PLAN_CORRUPT naming the field', async () => {
    const dest = await planWith((j) => {
      (j.stages as { tasks: unknown }[])[0]!.tasks = 'two';
    });
    expect(expectError(() => readPlan(dest), 'E_PLAN_CORRUPT').message).toContain('stages.0.tasks');
  });

  it('a missing directory, a file, or a directory without plan.json is E_PLAN_NOT_FOUND', () => {
    const parent = freshParent();
    const missing = expectError(() => readPlan(join(parent, 'nope.plan')), 'E_PLAN_NOT_FOUND');
    expect(missing.exitCode).toBe(7);
    expect(missing.message).toBe(`no plan directory at ${join(parent, 'nope.plan')}`);
    writeFileSync(join(parent, 'file.plan'), 'x');
    expectError(() => readPlan(join(parent, 'file.plan')), 'E_PLAN_NOT_FOUND');
    mkdirSync(join(parent, 'empty.plan'));
    expectError(() => readPlan(join(parent, 'empty.plan')), 'E_PLAN_NOT_FOUND');
  });

  it('a truncated tasks.jsonl is E_PLAN_CORRUPT when read', async () => {
    const dest = await planWith(() => undefined);
    const tasks = readFileSync(join(dest, TASKS_FILE));
    writeFileSync(join(dest, TASKS_FILE), tasks.subarray(0, tasks.length - 5));
    const plan = readPlan(dest);
    expect(readTasks(plan, plan.file.stages[0]!, 0, 1)).toEqual([{ id: 'a.0', cmd: 'echo a' }]);
    expectError(() => readTasks(plan, plan.file.stages[0]!, 1, 2), 'E_PLAN_CORRUPT');
  });
});
