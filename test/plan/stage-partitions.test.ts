// Partitions per stage: a stage's own `partitions` or `tasks_per_partition` in plan.json, winning
// over the N of generate-script/submit/run-partition (the default of the stages that set none), in
// every place that computes a partition's tasks or a stage's array size; bad values refused with
// the stage named and nothing written.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/api/plan.js';
import type { BatchplanError } from '../../src/errors.js';
import { checkedStageSlice, stagePartitions, stageSlice } from '../../src/plan/partition.js';
import { readPlan } from '../../src/plan/read.js';
import { readStageDeps } from '../../src/plan/task-deps-format.js';
import { requiredOf } from '../../src/plan/task-deps-query.js';
import { renderStages } from '../../src/runners/context.js';
import { partitionsLeft } from '../../src/submit/partitions-left.js';
import { cli } from '../helpers.js';
import { specs } from '../partitions/specs.js';

const { dir, planOf, refused } = specs('batchplan-stage-partitions-');

const THREE = `
stages:
  - name: a
    partitions: 8
    template: 'echo a {{i}}'
    matrix: {i: {range: [0, 20]}}
  - name: b
    tasks_per_partition: 3
    after: [a]
    template: 'echo b {{i}}'
    matrix: {i: {range: [0, 10]}}
  - name: c
    after: [b]
    template: 'echo c {{i}}'
    matrix: {i: {range: [0, 10]}}
`;

describe('a stage’s own partition count', () => {
  it('plan.json keeps it (tasks_per_partition resolved, at most one per task); plan prints it', () => {
    const plan = planOf(THREE);
    const file = JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
    expect(file.stages.map((s: { partitions?: number }) => s.partitions)).toEqual([8, 4, undefined]);
    const spec = join(dir, 'few.yaml');
    writeFileSync(
      spec,
      'stages:\n  - {name: x, partitions: 50, tasks: [{cmd: "true"}, {cmd: "true"}]}\n  - {name: y, tasks_per_partition: 100, tasks: [{cmd: "true"}]}\n',
    );
    const r = cli(['plan', spec, '-o', join(dir, 'few.plan'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stages.map((s: { partitions?: number }) => s.partitions)).toEqual([2, 1]);
    const three = join(dir, 'three.yaml');
    writeFileSync(three, THREE);
    const text = cli(['plan', three, '-o', join(dir, 'three.plan')]).stdout;
    expect(text).toMatch(/^stage +tasks +partitions +after$/m);
    expect(text).toMatch(/^a +20 +8 +-$/m);
    expect(text).toMatch(/^c +10 +- +b$/m);
  });

  it('wins over N everywhere a slice or an array size is computed; N stays the default', () => {
    const plan = readPlan(planOf(THREE));
    const [a, b, c] = plan.file.stages as [
      (typeof plan.file.stages)[0],
      (typeof plan.file.stages)[0],
      (typeof plan.file.stages)[0],
    ];
    for (const n of [1, 2, 5, 100]) {
      expect([stagePartitions(a, n), stagePartitions(b, n)]).toEqual([8, 4]);
      expect(stagePartitions(c, n)).toBe(Math.min(10, n));
      expect(renderStages(plan, n).map((s) => s.partitions)).toEqual([8, 4, Math.min(10, n)]);
      // Nothing run yet: every partition of each stage has work left, as one range.
      expect(partitionsLeft(plan, n)).toEqual([[[0, 8]], [[0, 4]], [[0, Math.min(10, n)]]]);
    }
    expect([0, 1, 2, 3].map((i) => stageSlice(b, 64, i))).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 8 },
      { start: 8, end: 10 },
    ]);
    expect(checkedStageSlice(a, 2, 7)).toEqual({ start: 18, end: 20 });
    const err = (() => {
      try {
        checkedStageSlice(a, 2, 8);
      } catch (e) {
        return e as BatchplanError;
      }
    })();
    expect(err?.code).toBe('E_PARTITION_RANGE');
    expect(err?.message).toBe(
      "partition index 8 is out of range 0..7 for stage 'a' (the stage sets its own 8 partitions; N = 2 applies to stages that set none)",
    );
  });

  it('run-partition splits such a stage by its own count whatever N it is given', () => {
    const plan = planOf(THREE);
    const r = cli(['run-partition', plan, 'a', '2', '7', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      partition: 7,
      partitions: 8,
      start: 18,
      end: 20,
      succeeded: 2,
    });
    expect(readdirSync(join(plan, 'status', 'stage-0')).filter((f) => f.endsWith('.jsonl'))).toEqual([
      expect.stringMatching(/^18-20\./),
    ]);
    // The stage that sets none takes N.
    const c = cli(['run-partition', plan, 'c', '2', '1', '--json']);
    expect(JSON.parse(c.stdout)).toMatchObject({ partitions: 2, start: 5, end: 10 });
    const bad = cli(['run-partition', plan, 'a', '64', '8']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("out of range 0..7 for stage 'a' (the stage sets its own 8 partitions");
  });

  it('generate-script reports each stage’s own count, and needs no N when every stage sets one', () => {
    const plan = planOf(THREE);
    const r = cli(['generate-script', plan, '2', '--runner', 'sequential', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stages).toEqual([
      { name: 'a', tasks: 20, partitions: 8 },
      { name: 'b', tasks: 10, partitions: 4 },
      { name: 'c', tasks: 10, partitions: 2 },
    ]);
    const note = cli(['generate-script', plan, '2', '--runner', 'sequential']).stderr;
    expect(note).toContain('a 8 partitions (its own), b 4 partitions (its own), c 2 partitions');
    expect(note).not.toContain('fewer than');
    // --batch-size counts only the stages that set none: c's 10 tasks by 5 is N = 2.
    const bs = cli(['generate-script', plan, '--batch-size', '5', '--runner', 'sequential', '--json']);
    expect(JSON.parse(bs.stdout)).toMatchObject({ n: 2 });
    const own = planOf(
      'stages:\n  - {name: x, partitions: 3, template: "echo {{i}}", matrix: {i: {range: [0, 9]}}}\n',
    );
    const g = cli(['generate-script', own, '--runner', 'sequential', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).stages).toEqual([{ name: 'x', tasks: 9, partitions: 3 }]);
  });
});

describe('task-level requires across stages of different partition counts', () => {
  // 6 groups × 5 parts of extract in its own 7 partitions; merge per group in N.
  const QDO = `
stages:
  - name: extract
    partitions: 7
    template: "echo extract {{group}} {{part}}"
    matrix: {group: {range: [0, 6]}, part: {range: [0, 5]}}
  - name: merge
    template: "echo merge {{group}}"
    matrix: {group: {range: [0, 6]}}
    requires:
      - {stage: extract, match: {group: "{{group}}"}}
`;

  it('each merge partition needs exactly the extract partitions (of extract’s own 7) holding its tasks', () => {
    const plan = readPlan(planOf(QDO));
    const [extract, merge] = plan.file.stages as [(typeof plan.file.stages)[0], (typeof plan.file.stages)[0]];
    const segments = readStageDeps(plan.dir, 1, merge.tasks);
    for (const n of [1, 2, 3, 6]) {
      const stages = renderStages(plan, n);
      expect(stages.map((s) => s.partitions)).toEqual([7, Math.min(6, n)]);
      // By hand: the extract partitions whose slice holds a task some merge task of the partition needs.
      const want = Array.from({ length: stages[1]!.partitions }, (_, p) => {
        const { start, end } = stageSlice(merge, n, p);
        const parts = new Set<number>();
        for (let t = start; t < end; t++)
          for (const [a, b] of requiredOf(segments, t).get(0) ?? [])
            for (let q = a; q < b; q++)
              for (let i = 0; i < 7; i++) {
                const s = stageSlice(extract, n, i);
                if (q >= s.start && q < s.end) parts.add(i);
              }
        return [...parts].sort((x, y) => x - y);
      });
      expect(stages[1]!.requires, `N = ${n}`).toEqual([{ stage: 0, partitions: want }]);
    }
    // 30 extracts in 7: [0,5) [5,10) [10,14) [14,18) [18,22) …; group 3 (tasks 15..19) is in 3 and 4.
    const one = renderStages(plan, 6)[1]!.requires![0]!.partitions[3];
    expect(one).toEqual([3, 4]);
  });
});

describe('bad values: a clear error naming the stage, nothing written', () => {
  const stage = (fields: string) => `stages:\n  - name: sim\n    ${fields}\n    tasks: [{cmd: "true"}]\n`;
  it.each([
    [
      'partitions: 0',
      /stages\[0\]\.partitions\): stage 'sim': `partitions` must be a whole number of partitions, at least 1 \(got 0\)/,
    ],
    [
      'partitions: -3',
      /stage 'sim': `partitions` must be a whole number of partitions, at least 1 \(got -3\)/,
    ],
    [
      'partitions: 2.5',
      /stage 'sim': `partitions` must be a whole number of partitions, at least 1 \(got 2\.5\)/,
    ],
    [
      'tasks_per_partition: 0',
      /stages\[0\]\.tasks_per_partition\): stage 'sim': `tasks_per_partition` must be a whole number of tasks per partition, at least 1 \(got 0\)/,
    ],
    ['tasks_per_partition: 0.5', /stage 'sim': `tasks_per_partition` must be a whole number/],
    ["partitions: '8'", /stages\[0\]\.partitions\): Invalid input: expected number, received string/],
    ['partitions: .inf', /stages\[0\]\.partitions\): Invalid input: expected number, received Infinity/],
    ['partitions: .nan', /stages\[0\]\.partitions\): Invalid input: expected number, received NaN/],
    ['partitions: null', /stages\[0\]\.partitions\): Invalid input: expected number, received null/],
    [
      'tasks_per_partition: true',
      /stages\[0\]\.tasks_per_partition\): Invalid input: expected number, received boolean/,
    ],
    [
      'partitions: 4\n    tasks_per_partition: 10',
      /stage 'sim': give `partitions` or `tasks_per_partition`, not both/,
    ],
  ])('%s', (fields, message) => {
    expect(refused(stage(fields))).toMatch(message);
  });

  it('the TypeScript API: createPlan refuses the same, naming the stage, nothing written', async () => {
    for (const [stage, message] of [
      [
        { partitions: 0 },
        /stage 'sim': `partitions` must be a whole number of partitions, at least 1 \(got 0\)/,
      ],
      [
        { partitions: 2, tasks_per_partition: 2 },
        /stage 'sim': give `partitions` or `tasks_per_partition`, not both/,
      ],
    ] as const) {
      const out = join(dir, `api-${Object.keys(stage).join('-')}.plan`);
      await expect(
        createPlan({ stages: [{ name: 'sim', tasks: [{ cmd: 'true' }], ...stage }] }, out),
      ).rejects.toThrow(message);
      expect(existsSync(out), 'nothing written').toBe(false);
    }
  });

  it('in defaults it is an unknown key (a partition count belongs to one stage)', () => {
    expect(refused('defaults: {partitions: 4}\nstages: [{name: a, tasks: [{cmd: "true"}]}]\n')).toMatch(
      /unknown key 'partitions'/,
    );
  });
});
