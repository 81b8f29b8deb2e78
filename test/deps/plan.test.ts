// Task-level dependencies at plan time: the spec syntax (ids, matches over template variables,
// stage-level and per task), what the plan directory stores (deps/stage-<k>.json segments, the
// stage's `requires`), priorities per template task, and every bad input refused with both tasks
// named and nothing written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/plan/compile.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { prerequisitePartitions, requiredOf, partitionOf } from '../../src/plan/task-deps-query.js';
import { partitionSlice } from '../../src/plan/partition.js';
import type { DepSegment } from '../../src/plan/task-deps-format.js';
import { cli, FIXTURES, scratch } from '../helpers.js';

const dir = scratch('batchplan-deps-plan-');
let n = 0;

function specFile(text: string): string {
  const file = join(dir, `spec-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
}

function compiled(text: string) {
  return compile(loadSpecFile(specFile(text)));
}

/** `plan` of a bad spec: the error text, and the proof nothing was written. */
function refused(text: string): { stderr: string; code: number | null } {
  const out = join(dir, `bad-${n + 1}.plan`);
  const r = cli(['plan', specFile(text), '-o', out]);
  expect(r.code, r.stderr).not.toBe(0);
  expect(existsSync(out), 'nothing written').toBe(false);
  return r;
}

const QDO = join(FIXTURES, 'examples', 'qdo.yaml');

describe('the qdo example', () => {
  const plan = join(dir, 'qdo.plan');
  it('plans: merge after extract, task-level, one segment for 31 groups, the urgent task first', () => {
    const r = cli(['plan', QDO, '-o', plan, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
    const [extract, merge] = file.stages;
    expect(extract.name).toBe('extract');
    expect(extract.requires).toBeUndefined();
    expect(merge).toMatchObject({ name: 'merge', after: ['extract'], requires: ['extract'], tasks: 32 });
    const deps = JSON.parse(readFileSync(join(plan, 'deps', 'stage-1.json'), 'utf8'));
    // extract.799 (group 31, part 24) is urgent, so it runs first: position 0, the others shift by one.
    expect(deps).toEqual({
      v: 1,
      segments: [
        [0, 31, [[0, 1, 25, 25]]],
        [
          31,
          1,
          [
            [0, 0, 1, 0],
            [0, 776, 24, 0],
          ],
        ],
      ],
    });
    const first = readFileSync(join(plan, 'tasks.jsonl'), 'utf8').split('\n')[0];
    expect(JSON.parse(first!)).toEqual({ id: 'extract.799', cmd: expect.stringContaining('extract 31 24') });
  });

  it('each merge G requires exactly the 25 extracts of group G', () => {
    const c = compile(loadSpecFile(QDO));
    const extract = [...c.stages[0]!.records()];
    const merge = [...c.stages[1]!.records()];
    const segs = c.stages[1]!.taskDeps!;
    merge.forEach((m, p) => {
      const g = m.cmd.split(' ').at(-1);
      const ids = (requiredOf(segs, p).get(0) ?? []).flatMap(([a, b]) =>
        extract.slice(a, b).map((r) => r.cmd),
      );
      expect(ids).toHaveLength(25);
      for (const cmd of ids) expect(cmd.split(' ').slice(-2)[0]).toBe(g);
    });
  });
});

describe('partitions a partition needs (derived for the N chosen later)', () => {
  // merge G requires extract [25G, 25G+25): with 32 extract partitions, merge partition i of 8 needs
  // extract partitions 4i..4i+3.
  const segs: DepSegment[] = [[0, 32, [[0, 0, 25, 25]]]];
  it('for any N of either stage, from the segments alone', () => {
    for (const [nMerge, nExtract] of [
      [8, 32],
      [32, 32],
      [1, 7],
      [5, 800],
      [3, 1],
    ] as const) {
      for (let i = 0; i < Math.min(32, nMerge); i++) {
        const got = prerequisitePartitions(segs, 32, nMerge, i, () => ({ count: 800, n: nExtract }))
          .get(0)!
          .sort((a, b) => a - b);
        // Brute force: the partitions of every task required by every task of the partition.
        const want = new Set<number>();
        const { start, end } = partitionSlice(32, nMerge, i);
        for (let g = start; g < end; g++)
          for (let q = 25 * g; q < 25 * g + 25; q++) want.add(partitionOf(800, nExtract, q));
        expect(got, `merge ${i}/${nMerge}, extract N=${nExtract}`).toEqual([...want].sort((a, b) => a - b));
      }
    }
  });
  it('partitionOf inverts partitionSlice', () => {
    for (const [count, nn] of [
      [10, 3],
      [800, 32],
      [7, 7],
      [5, 9],
    ] as const)
      for (let i = 0; i < Math.min(count, nn); i++) {
        const { start, end } = partitionSlice(count, nn, i);
        for (let q = start; q < end; q++) expect(partitionOf(count, nn, q)).toBe(i);
      }
  });
});

describe('spec syntax', () => {
  it('by id, per listed task, and a template id per template task', () => {
    const c = compiled(`
stages:
  - name: setup
    tasks: [{cmd: "echo a", id: prep-a}, {cmd: "echo b", id: prep-b}]
  - name: work
    template: "echo {{x}}"
    params: [{x: a}, {x: b}]
    requires: ["prep-{{x}}"]
  - name: report
    tasks:
      - {cmd: "echo report", requires: [work.1, prep-a]}
`);
    const [setup, work, report] = c.stages;
    expect(setup!.requires).toBeUndefined();
    expect(work!.after).toEqual(['setup']);
    expect(work!.taskDeps).toEqual([[0, 2, [[0, 0, 1, 1]]]]);
    expect(report!.after.sort()).toEqual(['setup', 'work']);
    expect(report!.taskDeps).toEqual([
      [
        0,
        1,
        [
          [0, 0, 1, 0],
          [1, 1, 1, 0],
        ],
      ],
    ]);
  });

  it('the stage a task requires need not be in `after`, nor written first', () => {
    const c = compiled(`
stages:
  - name: merge
    template: "echo merge {{g}}"
    matrix: {g: [x, y]}
    requires: [{stage: extract, match: {g: "{{g}}"}}]
  - name: extract
    template: "echo {{g}} {{i}}"
    matrix: {g: [x, y], i: {range: [0, 3]}}
`);
    expect(c.stages.map((s) => s.name)).toEqual(['extract', 'merge']);
    expect(c.stages[1]!.taskDeps).toEqual([[0, 2, [[0, 0, 3, 3]]]]);
  });

  it('an explicit `after` on the same stage stays a whole-stage barrier (requires: [])', () => {
    const c = compiled(`
stages:
  - {name: a, template: "echo {{i}}", matrix: {i: [1, 2]}}
  - name: b
    after: [a]
    template: "echo {{i}}"
    matrix: {i: [1, 2]}
    requires: [{stage: a, match: {i: "{{i}}"}}]
`);
    expect(c.stages[1]!.requires).toEqual([]);
    expect(c.stages[1]!.taskDeps).toEqual([[0, 2, [[0, 0, 1, 1]]]]);
  });

  it('a priority template orders a matrix stage; the eq helper compares as text', () => {
    const c = compiled(`
stages:
  - name: s
    template: "echo {{g}} {{p}}"
    matrix: {g: {range: [0, 3]}, p: {range: [0, 2]}}
    priority: "{{#if (eq g 2)}}5{{/if}}{{#if (eq p 1)}}1{{/if}}"
`);
    expect([...c.stages[0]!.records()].map((r) => r.id)).toEqual(['s.5', 's.4', 's.1', 's.3', 's.0', 's.2']);
  });
});

describe('bad inputs: a clear error naming both tasks, nothing written', () => {
  it('an unknown id', () => {
    const r = refused(`
stages:
  - {name: a, template: "echo {{i}}", matrix: {i: {range: [0, 3]}}}
  - {name: b, tasks: [{cmd: "echo b", requires: [a.7]}]}
`);
    expect(r.stderr).toContain('stages[1].tasks[0].requires[0]');
    expect(r.stderr).toContain(
      "task b.0 requires 'a.7', which is no task of the plan (stage a has 3 tasks: a.0 … a.2)",
    );
  });

  it('a task of the same stage', () => {
    const r = refused(`
stages:
  - {name: a, tasks: [{cmd: "echo 1"}, {cmd: "echo 2", requires: [a.0]}]}
`);
    expect(r.stderr).toContain('task a.1 requires a.0, of its own stage a');
    expect(r.stderr).toContain('earlier stage');
  });

  it('a requirement on a stage that runs after (a cycle through `after`)', () => {
    const r = refused(`
stages:
  - {name: a, tasks: [{cmd: "echo 1", requires: [b.0]}]}
  - {name: b, after: [a], tasks: [{cmd: "echo 2"}]}
`);
    expect(r.code).toBe(5); // E_PLAN_CYCLE
    expect(r.stderr).toContain('task a.0 requires b.0 (stage b), and stage b is after stage a');
  });

  it('a cycle across tasks of two stages', () => {
    const r = refused(`
stages:
  - {name: a, tasks: [{cmd: "echo 1", requires: [b.1]}, {cmd: "echo 2"}]}
  - {name: b, tasks: [{cmd: "echo 3"}, {cmd: "echo 4", requires: [a.1]}]}
`);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/task a\.0 requires b\.1 \(stage b\), and task b\.1 requires a\.1 \(stage a\)/);
  });

  it('a match that finds no task, an unknown variable, an unknown stage, a list stage', () => {
    const base = `
stages:
  - {name: extract, template: "echo {{group}} {{part}}", matrix: {group: {range: [0, 2]}, part: [a, b]}}
  - {name: list, tasks: [{cmd: "echo"}]}
  - name: merge
    template: "echo {{g}}"
    matrix: {g: {range: [0, 3]}}
    requires: [REQ]
`;
    const cases: [string, string][] = [
      [
        '{stage: extract, match: {group: "{{g}}"}}',
        'task merge.2 requires the tasks of stage extract with group=2, and there is none',
      ],
      [
        '{stage: extract, match: {grup: "{{g}}"}}',
        "stage extract has no variable 'grup' (did you mean 'group'",
      ],
      ['{stage: extrac, match: {group: "{{g}}"}}', "unknown stage 'extrac'"],
      [
        '{stage: list, match: {x: "1"}}',
        'stage list lists its tasks (no template), so it has no variables to match',
      ],
    ];
    for (const [req, message] of cases) expect(refused(base.replace('REQ', req)).stderr).toContain(message);
    const undefinedVar = refused(base.replace('REQ', '"extract.{{h}}"'));
    expect(undefinedVar.stderr).toContain('task merge.0');
    expect(undefinedVar.stderr).toContain('{{h}}');
  });

  it('a priority template that is not a number', () => {
    const r = refused(`
stages:
  - {name: s, template: "echo {{x}}", params: [{x: 1}, {x: b}], priority: "{{x}}"}
`);
    expect(r.stderr).toContain("task s.1: the priority renders as 'b', not a number");
  });
});
