// batchplan add with task-level `requires`: the added stages' tasks require tasks of the plan's
// stages by id and by a match over their variables (kept in vars/stage-<k>.json), validated as
// `plan` validates them (unknown id, own stage, cycle, no such variable: a clear error naming both
// tasks, nothing written); `run` then starts each merge as soon as its own group is done.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers.js';
import { snapshot } from './snapshot.js';

// Group 2 is slow; the urgent extract (group 2, part 2) moves to the front of the stage.
const BASE = `
defaults: {nprocs: 4}
stages:
  - name: extract
    template: "{{#if (eq group 2)}}sleep 1.5{{else}}true{{/if}}; echo extract {{group}} {{part}}; [ ! -e DIR/fail-{{group}}{{part}} ]"
    matrix: {group: {range: [0, 3]}, part: {range: [0, 3]}}
    priority: "{{#if (eq group 2)}}{{#if (eq part 2)}}10{{/if}}{{/if}}"
  - name: prep
    tasks: [{id: setup, cmd: 'echo setup'}, {cmd: 'echo other'}]
`;
const MORE = `
stages:
  - name: merge
    template: "echo merge {{group}}"
    matrix: {group: {range: [0, 3]}}
    requires:
      - {stage: extract, match: {group: "{{group}}"}}
      - setup
  - name: final
    tasks: [{cmd: 'echo final', requires: [merge.2, extract.8, prep.1]}]
`;

function setUp() {
  const dir = scratch('batchplan-add-requires-');
  writeFileSync(join(dir, 'base.yaml'), BASE.replace('DIR', dir));
  const plan = join(dir, 'p.plan');
  const r = cli(['plan', join(dir, 'base.yaml'), '-o', plan]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, plan };
}
type Row = { id: string; state: string; startedAt: string; endedAt: string };
const rows = (plan: string) => JSON.parse(cli(['tasks', plan, '--json']).stdout) as Row[];

describe('add: new stages whose tasks require tasks of the plan', () => {
  it('by match and by id: stored per task, and run starts each merge once its own group is done', () => {
    const { dir, plan } = setUp();
    writeFileSync(join(dir, 'more.yaml'), MORE);
    const r = cli(['add', plan, join(dir, 'more.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
    expect(file.stages.map((s: { name: string; requires?: string[] }) => [s.name, s.requires])).toEqual([
      ['extract', undefined],
      ['prep', undefined],
      ['merge', ['extract', 'prep']],
      ['final', ['merge', 'extract', 'prep']],
    ]);
    // merge g needs extract 3g..3g+2 in run order, where extract.8 (urgent) is first: merge 2 needs
    // positions 7, 8 and 0; each also needs setup (prep's task 0).
    const deps = (k: number) => readFileSync(join(plan, 'deps', `stage-${k}.json`), 'utf8');
    expect(deps(2)).toContain('[0,2,[[0,1,3,3],[1,0,1,0]]]');
    expect(deps(2)).toContain('[2,1,[[0,0,1,0],[0,7,2,0],[1,0,1,0]]]');
    expect(deps(3)).toContain('[[2,2,1,0],[0,0,1,0],[1,1,1,0]]');

    const run = cli(['run', plan]);
    expect(run.code, run.stderr).toBe(0);
    const t = new Map(rows(plan).map((row) => [row.id, row]));
    const ms = (id: string, f: 'startedAt' | 'endedAt') => Date.parse(t.get(id)![f]);
    for (let g = 0; g < 3; g++)
      for (let p = 0; p < 3; p++)
        expect(ms(`merge.${g}`, 'startedAt')).toBeGreaterThanOrEqual(ms(`extract.${3 * g + p}`, 'endedAt'));
    // Merges 0 and 1 did not wait for the slow group 2.
    const slowEnd = Math.max(...[6, 7, 8].map((k) => ms(`extract.${k}`, 'endedAt')));
    expect(ms('merge.0', 'startedAt')).toBeLessThan(slowEnd);
    expect(ms('final.0', 'startedAt')).toBeGreaterThanOrEqual(ms('merge.2', 'endedAt'));
  });

  it('a failed extract blocks only its merge; retry unblocks it', () => {
    const { dir, plan } = setUp();
    writeFileSync(
      join(dir, 'more.yaml'),
      `stages:
  - name: merge
    template: "echo merge {{group}}"
    matrix: {group: {range: [0, 3]}}
    requires: [{stage: extract, match: {group: "{{group}}"}}]
`,
    );
    expect(cli(['add', plan, join(dir, 'more.yaml')]).code).toBe(0);
    writeFileSync(join(dir, 'fail-11'), ''); // extract.4, of group 1
    expect(cli(['run', plan]).code).toBe(1);
    const state = () =>
      rows(plan)
        .filter((row) => row.id.startsWith('merge'))
        .map((row) => row.state);
    expect(state()).toEqual(['succeeded', 'blocked', 'succeeded']);
    rmSync(join(dir, 'fail-11'));
    const retry = cli(['retry', plan]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/extract: 1 task reset \(extract\.4\)\nmerge: 1 task reset \(merge\.1\)/);
    expect(cli(['run', plan]).code).toBe(0);
    expect(state()).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('bad requires: a clear error naming both tasks, and nothing written', () => {
    const { dir, plan } = setUp();
    const cases: [string, string, number, RegExp][] = [
      [
        'unknown-id',
        "stages:\n  - {name: m, tasks: [{cmd: 'true', requires: [extract.9]}]}\n",
        4,
        /task m\.0 requires 'extract\.9', which is no task of the plan \(stage extract has 9 tasks: extract\.0 … extract\.8\)/,
      ],
      [
        'unknown-stage',
        "stages:\n  - {name: m, template: 'true {{g}}', matrix: {g: [1]}, requires: [{stage: extrct, match: {group: '{{g}}'}}]}\n",
        4,
        /unknown stage 'extrct'.*did you mean 'extract'/,
      ],
      [
        'no-variable',
        "stages:\n  - {name: m, template: 'true {{g}}', matrix: {g: [1]}, requires: [{stage: extract, match: {grp: '{{g}}'}}]}\n",
        4,
        /stage extract has no variable 'grp'.*its variables: part, group/,
      ],
      [
        'no-match',
        "stages:\n  - {name: m, template: 'true {{g}}', matrix: {g: [7]}, requires: [{stage: extract, match: {group: '{{g}}'}}]}\n",
        4,
        /task m\.0 requires the tasks of stage extract with group=7, and there is none/,
      ],
      [
        'listed',
        "stages:\n  - {name: m, template: 'true {{g}}', matrix: {g: [1]}, requires: [{stage: prep, match: {g: '{{g}}'}}]}\n",
        4,
        /stage prep lists its tasks \(no template\), so it has no variables to match: name its tasks by id instead \(e\.g\. setup\)/,
      ],
      [
        'own-stage',
        "stages:\n  - {name: m, tasks: [{cmd: 'true'}, {cmd: 'true', requires: [m.0]}]}\n",
        4,
        /task m\.1 requires m\.0, of its own stage m/,
      ],
      [
        'cycle',
        "stages:\n  - {name: x, tasks: [{id: x1, cmd: 'true', requires: [y1]}]}\n  - {name: y, tasks: [{id: y1, cmd: 'true', requires: [x1, setup]}]}\n",
        5,
        /tasks would wait for each other forever: task x1 requires y1 \(stage y\), and task y1 requires x1 \(stage x\)/,
      ],
    ];
    const before = snapshot(plan);
    for (const [name, yaml, code, message] of cases) {
      writeFileSync(join(dir, `${name}.yaml`), yaml);
      const r = cli(['add', plan, join(dir, `${name}.yaml`)]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(code);
      expect(r.stderr, name).toMatch(message);
      expect(snapshot(plan), name).toEqual(before);
    }
    // A plan made before batchplan kept task variables: matching is refused, ids still work.
    rmSync(join(plan, 'vars'), { recursive: true });
    const old = cli(['add', plan, join(dir, 'no-match.yaml')]);
    expect(old.code).toBe(4);
    expect(old.stderr).toMatch(/stage extract was planned by a batchplan that kept no task variables/);
    writeFileSync(
      join(dir, 'ids.yaml'),
      "stages:\n  - {name: m, tasks: [{cmd: 'true', requires: [extract.8]}]}\n",
    );
    expect(cli(['add', plan, join(dir, 'ids.yaml')]).code).toBe(0);
  });
});
