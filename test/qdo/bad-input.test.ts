// Bad input over a plan that has run: `plan --force` with an unknown required id, a cycle across
// tasks or a requirement on a later stage, and retry/rerun that match nothing once markers exist,
// each a clear error that leaves every file of the plan (journals and markers included) as it was.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratch } from '../helpers.js';
import { snapshot } from './snapshot.js';

const GOOD = `
stages:
  - {name: a, template: 'test {{n}} != 1', matrix: {n: {range: [0, 3]}}}
  - {name: b, tasks: [{cmd: 'echo b', requires: [a.0]}]}
`;

describe('bad input over a plan that has run writes nothing', () => {
  const dir = scratch();
  const plan = join(dir, 'p.plan');
  writeFileSync(join(dir, 'good.yaml'), GOOD);

  it('plan --force with a bad requirement keeps the old plan, byte for byte', () => {
    expect(cli(['run', join(dir, 'good.yaml'), '-o', plan]).code).toBe(1);
    expect(cli(['retry', plan, '--id', 'a.1']).code).toBe(0);
    const before = snapshot(plan);
    const cases: [string, string, number, RegExp][] = [
      [
        'unknown id',
        "  - {name: b, tasks: [{cmd: 'echo b', requires: [a.7]}]}",
        4,
        /task b\.0 requires 'a\.7', which is no task of the plan/,
      ],
      [
        'cycle across tasks',
        "  - {name: b, tasks: [{cmd: 'echo b', requires: [a.0]}, {cmd: 'echo c'}]}\n  - {name: c, tasks: [{cmd: 'echo x', requires: [b.1]}, {cmd: 'echo y', requires: [d.0]}]}\n  - {name: d, tasks: [{cmd: 'echo z', requires: [c.0]}]}",
        5,
        /task c\.1 requires d\.0 \(stage d\), and task d\.0 requires c\.0 \(stage c\)/,
      ],
      [
        'a later stage',
        "  - {name: b, after: [a], tasks: [{cmd: 'echo b'}]}\n  - {name: e, after: [b], tasks: [{cmd: 'echo e', requires: [f.0]}]}\n  - {name: f, after: [e], tasks: [{cmd: 'echo f'}]}",
        5,
        /task e\.0 requires f\.0 \(stage f\), and stage f is after stage e/,
      ],
    ];
    for (const [name, stages, code, message] of cases) {
      const spec = join(dir, `${name.replaceAll(' ', '-')}.yaml`);
      writeFileSync(spec, GOOD.split('\n').slice(0, 3).join('\n') + '\n' + stages + '\n');
      const r = cli(['plan', spec, '-o', plan, '--force']);
      expect(r.code, `${name}: ${r.stderr}`).toBe(code);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).toContain('nothing was written');
      expect(snapshot(plan), name).toEqual(before);
    }
  });

  it('retry and rerun --force that match nothing add no marker to those there', () => {
    const before = snapshot(plan);
    for (const args of [
      ['retry', plan, '--stage', 'b'],
      ['retry', plan, '--id', 'a.1'],
      ['retry', plan, '--state', 'lost'],
      ['rerun', plan, '--force', '--stage', 'a', '--state', 'interrupted'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(20);
      expect(r.stderr).toMatch(/E_NO_MATCH.*nothing was reset/);
      expect(snapshot(plan), args.join(' ')).toEqual(before);
    }
  });
});
