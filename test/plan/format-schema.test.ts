// src/plan/format-json-schema.ts holds the JSON Schemas of plan.json and task records, generated from
// the zod schemas (format-schema.ts) so that readers check files without loading zod. They must not
// drift, and the checker must agree with zod on what it accepts and refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { planFileSchema, taskRecordSchema } from '../../src/plan/format-schema.js';
import { PLAN_FILE_JSON_SCHEMA, TASK_RECORD_JSON_SCHEMA } from '../../src/plan/format-json-schema.js';
import { checkJson } from '../../src/util/json-check.js';
import { ROOT } from '../helpers.js';

const FILE = join(ROOT, 'src', 'plan', 'format-json-schema.ts');

const validPlan = {
  format: 'batchplan-plan',
  version: 2,
  batchplanVersion: '0.1.0',
  createdAt: '2026-11-22T00:00:00Z',
  source: { file: 'x.yaml', format: 'spec', sha256: 'ab' },
  defaults: { retries: 0, backoff: 1, env: {}, shell: '/bin/sh', resources: {} },
  totalTasks: 3,
  stages: [
    {
      name: 's',
      after: [],
      tasks: 3,
      firstTask: 0,
      resources: { time: 60, runners: { slurm: { args: ['--x'] } } },
      retries: 1,
      backoff: 1,
      env: { A: 'b' },
      shell: '/bin/sh',
      timeout: 1.5,
    },
  ],
};

describe('the generated format schemas', () => {
  it('equal what zod generates today (npm run gen:schemas rewrites them)', () => {
    // Prettier may reformat the file: compare the schemas, and the header that says where they come from.
    expect(PLAN_FILE_JSON_SCHEMA).toEqual(z.toJSONSchema(planFileSchema));
    expect(TASK_RECORD_JSON_SCHEMA).toEqual(z.toJSONSchema(taskRecordSchema));
    expect(readFileSync(FILE, 'utf8')).toMatch(/^\/\/ Generated from format-schema.ts/);
  });

  const mutations: [string, (p: typeof validPlan & Record<string, unknown>) => void][] = [
    ['nothing', () => {}],
    ['an unknown top-level key', (p) => (p.extra = 1)],
    ['a missing key', (p) => delete (p as Record<string, unknown>).totalTasks],
    ['a wrong const', (p) => (p.format = 'other')],
    ['a value outside an enum', (p) => (p.source.format = 'yaml')],
    ['a fractional integer', (p) => (p.stages[0]!.tasks = 1.5)],
    ['a negative count', (p) => (p.stages[0]!.firstTask = -1)],
    ['a zero where positive is required', (p) => (p.stages[0]!.timeout = 0)],
    ['a number in a string array', (p) => ((p.stages[0]!.after as unknown[]) = [1])],
    ['a number as an env value', (p) => ((p.stages[0]!.env as Record<string, unknown>).A = 1)],
    ['an unknown resource', (p) => ((p.stages[0]!.resources as Record<string, unknown>).gpuz = 1)],
    ['null for an object', (p) => ((p as Record<string, unknown>).source = null)],
    ['an array for an object', (p) => ((p as Record<string, unknown>).defaults = [])],
    ['a string for a number', (p) => ((p.stages[0]!.resources as Record<string, unknown>).time = '60')],
  ];
  it.each(mutations)('checkJson agrees with zod on plan.json with %s', (_, mutate) => {
    const plan = structuredClone(validPlan) as typeof validPlan & Record<string, unknown>;
    mutate(plan);
    const zod = planFileSchema.safeParse(plan);
    const problem = checkJson(plan, PLAN_FILE_JSON_SCHEMA);
    expect(problem === undefined).toBe(zod.success);
    // The same place; for an unknown key zod names the object holding it, the checker the key itself.
    const path = problem?.message === 'unknown key' ? problem.path.slice(0, -1) : problem?.path;
    if (problem) expect(path!.join('.')).toBe(zod.error!.issues[0]!.path.join('.'));
  });

  it.each([
    [{ id: 'a', cmd: 'x' }, true],
    [{ id: 'a', cmd: 'x', env: { K: 'v' }, retries: 2, timeout: 3, backoff: 0, output: 'o', cwd: '/' }, true],
    [{ id: 'a' }, false],
    [{ id: 'a', cmd: 'x', retries: -1 }, false],
    [{ id: 'a', cmd: 'x', oops: 1 }, false],
    [{ id: 7, cmd: 'x' }, false],
  ])('checkJson agrees with zod on the task record %j', (record, ok) => {
    expect(taskRecordSchema.safeParse(record).success).toBe(ok);
    expect(checkJson(record, TASK_RECORD_JSON_SCHEMA) === undefined).toBe(ok);
  });

  it('refuses a schema keyword it does not know, rather than passing', () => {
    expect(() => checkJson(1, { type: 'integer', multipleOf: 2 })).toThrow(
      /unsupported JSON Schema keyword 'multipleOf'/,
    );
  });
});
