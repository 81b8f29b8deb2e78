// A generated local script that someone sources (`. run.sh`) instead of running must not close
// their shell (its `exit`), nor leave `set -euo pipefail` or its functions behind: it runs in a bash
// of its own and returns its exit status. Sourced here in an interactive bash (`bash -i`), once for
// a plan whose tasks all succeed and once for one with a failing task.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, engineAvailable, scratch } from '../helpers.js';

const LOCAL = [
  { runner: 'sequential', available: true },
  { runner: 'gnu-parallel', available: engineAvailable('parallel') },
];

/** Source `script` in an interactive bash, then report what the shell still is. */
function sourceInteractively(script: string, cwd: string) {
  const probe = [
    `source ${JSON.stringify(script)}`,
    'echo "alive rc=$?"',
    'case $- in *e*) echo "errexit left on";; esac',
    'case $- in *u*) echo "nounset left on";; esac',
    'shopt -qo pipefail && echo "pipefail left on"',
    'declare -F | sed "s/^declare -f /function left: /"',
    'echo "plan=${plan-unset} batchplan_cmd=${batchplan_cmd-unset}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-i'], {
    cwd,
    input: probe + '\n',
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PS1: '', HOME: cwd },
  });
  return r.stdout;
}

describe.each(LOCAL)('$runner run.sh, sourced', ({ runner, available }) => {
  const dir = scratch('batchplan-sourced-');
  it.skipIf(!available).each([
    ['succeeds', 'true', 0],
    ['has a failed task', 'false', 1],
  ])('when the plan %s: the shell survives with nothing left behind', (_what, cmd, rc) => {
    const spec = join(dir, `${cmd}.txt`);
    writeFileSync(spec, `echo a\n${cmd}\n`);
    const plan = join(dir, `${runner}-${cmd}.plan`);
    expect(cli(['plan', spec, '-o', plan, '--format', 'commands']).code).toBe(0);
    const script = join(dir, `${runner}-${cmd}.sh`);
    expect(cli(['generate-script', plan, '2', '--runner', runner, '-o', script]).code).toBe(0);
    const out = sourceInteractively(script, dir);
    expect(out).toContain(`alive rc=${rc}`);
    expect(out).not.toMatch(/left on|function left/);
    expect(out).toContain('plan=unset batchplan_cmd=unset');
  });
});
