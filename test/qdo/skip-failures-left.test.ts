// Submit's "partitions with work left" under --skip-failures (src/submit/partitions-left.ts): a
// failed task left alone is no work, so a partition whose only unfinished tasks failed is not
// submitted; the stage can then never finish, so a stage after it whole is not submitted either
// (as `run` does not run it), while one that needs it task by task (requires) still is.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlan } from '../../src/plan/read.js';
import { partitionsLeft } from '../../src/submit/partitions-left.js';
import { cli, scratch } from '../helpers.js';

const SPEC = `
stages:
  - name: a
    template: 'test {{n}} != 1'
    matrix: {n: {range: [0, 4]}}
  - {name: whole, after: [a], tasks: [{cmd: 'true'}, {cmd: 'true'}]}
  - {name: after-whole, after: [whole], tasks: [{cmd: 'true'}]}
  - name: each
    template: 'true {{n}}'
    matrix: {n: {range: [0, 4]}}
    requires: [{stage: a, match: {n: '{{n}}'}}]
`;

describe('partitions left with failures left alone', () => {
  it('a failed-only partition has no work; stages after it whole have none; requires still has, unless blocked by it', () => {
    const dir = scratch();
    writeFileSync(join(dir, 's.yaml'), SPEC);
    const dirPlan = join(dir, 'p.plan');
    expect(cli(['plan', join(dir, 's.yaml'), '-o', dirPlan]).code).toBe(0);
    // a.1 fails; a.0 succeeds; a.2 and a.3 stay pending (partition 1 of 2 not run).
    expect(cli(['run-partition', dirPlan, 'a', '2', '0']).code).toBe(1);
    const plan = readPlan(dirPlan);

    // Without skip-failures a.1 is work: both partitions of a, and everything after.
    expect(partitionsLeft(plan, 2)).toEqual([[[0, 2]], [[0, 2]], [[0, 1]], [[0, 2]]]);
    // Leaving a's failures alone: only partition 1 of a; `whole` and what follows it never could run.
    const leave = partitionsLeft(plan, 2, () => true);
    expect(leave).toEqual([[[1, 2]], [], [], [[0, 2]]]);
    // Only stage a leaves its failures alone: the same, as the others have none.
    expect(partitionsLeft(plan, 2, (k) => k === 0)).toEqual(leave);
    // Another stage's setting does not make a's failure no work.
    expect(partitionsLeft(plan, 2, (k) => k === 3)).toEqual(partitionsLeft(plan, 2));

    // each.1 requires the failed a.1: blocked. Left alone, a.1 never succeeds, so neither can
    // each.1: partition 0 of each (each.0 done, each.1 blocked) has no work either.
    const r = cli(['run-partition', dirPlan, 'each', '2', '0', '--wait-prerequisites', '1s']);
    expect(r.stderr).toContain('1 blocked');
    expect(partitionsLeft(plan, 2, () => true)[3]).toEqual([[1, 2]]);
    expect(partitionsLeft(plan, 2)[3]).toEqual([[0, 2]]);
  });
});
