// Messages seen in a new user's trial must say what, where and what to do, with a stable code and
// the nearest name when one was mistyped.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nearest } from '../../src/util/did-you-mean.js';
import { cli, scratch } from '../helpers.js';

const dir = scratch('batchplan-errors-');

function planSpec(name: string, yaml: string) {
  const spec = join(dir, `${name}.yaml`);
  writeFileSync(spec, yaml);
  return cli(['plan', spec, '-o', join(dir, `${name}.plan`)]);
}

describe('template errors', () => {
  it('an undefined variable names it, its place, the nearest defined name and all of them', () => {
    const r = planSpec(
      'undef',
      'stages:\n  - name: s\n    template: "echo {{nme}}"\n    params: [{name: a, size: 2}]\n',
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      "undef.yaml:4 (stages[0].params[0]): the template uses a variable this entry does not define: {{nme}} at line 1, column 8 (did you mean 'name'? it defines: name, size)",
    );
    expect(r.stderr).not.toContain('[object Object]');
  });

  it('a template that does not parse says where and what, on one line', () => {
    const r = planSpec(
      'parse',
      'stages:\n  - name: s\n    template: "echo {{#if}} {{name}"\n    params: [{name: a}]\n',
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /parse\.yaml:3 \(stages\[0\]\.template\): not a valid template: parse error on line 1, column 20: an unclosed \{\{ or a character that cannot be there \(near "echo \{\{#if\}\} \{\{name\}"\); check that every \{\{ has its \}\}/,
    );
  });
});

describe('spec errors', () => {
  it('an unquoted true where a command belongs says to quote it', () => {
    const r = planSpec('bool', 'stages:\n  - name: s\n    tasks: [{cmd: true}]\n');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      '(stages[0].tasks[0].cmd): expected a string, got the boolean true; quote it ("true")',
    );
  });

  it('an unknown key suggests the nearest known one', () => {
    const r = planSpec(
      'key',
      'defaults: {nprocss: 2}\nstages:\n  - name: s\n    tasks: [{cmd: x, retires: 1}]\n',
    );
    expect(r.stderr).toContain("(defaults.nprocss): unknown key 'nprocss' (did you mean 'nprocs'?)");
    expect(r.stderr).toContain("unknown key 'retires' (did you mean 'retries'?)");
  });
});

describe('usage errors', () => {
  it('a mistyped option is named, with the nearest option and the error code, before a missing required one', () => {
    const r = cli(['generate-script', join(dir, 'none.plan'), '2', '--runer', 'slurm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "batchplan: error [E_USAGE]: unknown option '--runer' for batchplan generate-script (did you mean '--runner'?)\n  See: batchplan generate-script --help\n",
    );
  });

  it('a mistyped choice (a task state, a format) is named with the nearest choice', () => {
    const r = cli(['tasks', join(dir, 'none.plan'), '--state', 'faild']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^batchplan: error \[E_USAGE\]: option '--state <state>' argument 'faild' is invalid\. Allowed choices are queued, .*, blocked \(did you mean 'failed'\?\)\.\n/,
    );
    expect(cli(['tasks', join(dir, 'none.plan'), '--state', 'xyzzy']).stderr).not.toContain('did you mean');
  });

  it('an option value that starts with -- is a value, not an option', () => {
    const r = cli([
      'generate-script',
      join(dir, 'none.plan'),
      '2',
      '--runner',
      'slurm',
      '--sbatch-arg',
      '--exclusive',
    ]);
    expect(r.stderr).toContain('E_PLAN_NOT_FOUND');
  });

  it('commander’s own usage errors carry the code', () => {
    expect(cli(['status']).stderr).toMatch(/^batchplan: error \[E_USAGE\]: missing required argument 'plan'/);
  });
});

describe('nearest', () => {
  it('suggests within a typo’s distance only', () => {
    expect(nearest('nprocss', ['nprocs', 'retries'])).toBe('nprocs');
    expect(nearest('slrum', ['slurm', 'sge', 'pbs'])).toBe('slurm');
    expect(nearest('xyz', ['slurm', 'sge'])).toBeUndefined();
  });
});

describe('plan-level errors', () => {
  const plan = join(dir, 'sweep.plan');
  it('wait on a plan never submitted is E_NOT_SUBMITTED (exit 21) and says what to do', () => {
    expect(
      cli(['plan', join(import.meta.dirname, '..', '..', 'fixtures', 'examples', 'sweep.yaml'), '-o', plan])
        .code,
    ).toBe(0);
    const r = cli(['wait', plan]);
    expect(r.code).toBe(21);
    expect(r.stderr).toContain(`[E_NOT_SUBMITTED]: plan ${plan} has no recorded submission`);
    expect(r.stderr).toContain(`Submit it first: batchplan submit ${plan} <N> --runner slurm`);
  });

  it('unknown stages and runners suggest the nearest name', () => {
    expect(cli(['tasks', plan, '--stage', 'extrac']).stderr).toContain("no stage 'extrac' in plan");
    expect(cli(['tasks', plan, '--stage', 'extrac']).stderr).toContain("(did you mean 'extract'?)");
    expect(cli(['generate-script', plan, '2', '--runner', 'slrum']).stderr).toContain(
      "no runner 'slrum' (did you mean 'slurm'?)",
    );
  });
});
