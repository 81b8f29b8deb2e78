// A task's output cannot drive the terminal of whoever reads it (`logs`, `tasks --tail`): control
// characters are escaped on a TTY, and left byte for byte when piped or in --json. And `logs` of a
// task whose run-partition died says so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, cliAsync, scratch } from '../helpers.js';
import { lines, makePlan, waitFor } from './helpers.js';

const dir = scratch();
const ESC = '\x1b';

/** Run batchplan under a pseudo-terminal (util-linux script), returning what the terminal got. */
function onTty(args: string[]): string {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('ESC sequences in a task’s output', () => {
  const plan = makePlan(dir, 'esc', {
    stages: [
      {
        name: 's',
        tasks: [
          { cmd: `printf 'out\\033]0;pwned\\007\\n'; printf 'err \\033[2J\\033[31mred\\233\\n' >&2; exit 3` },
        ],
      },
    ],
  });
  cli(['run-partition', plan, 's', '1', '0']);

  it('are escaped by logs and tasks --tail on a terminal', () => {
    const logs = onTty(['logs', plan, 's.0']);
    expect(logs).toContain('out\\x1b]0;pwned\\x07');
    expect(logs).toContain('err \\x1b[2J\\x1b[31mred');
    expect(logs).not.toContain(ESC);
    const tail = onTty(['tasks', plan, '--tail', '3']);
    expect(tail).toContain('| err \\x1b[2J\\x1b[31mred');
    expect(tail).not.toContain(ESC);
  });

  it('are kept as they are when piped, and in --json', () => {
    const piped = cli(['logs', plan, 's.0', '--stderr']);
    expect(piped.stdout).toContain(`${ESC}[2J${ESC}[31mred`);
    const json = cli(['tasks', plan, '--tail', '3', '--json']);
    expect(JSON.parse(json.stdout)[0].stderrTail[0]).toContain(`${ESC}[2J`);
  });
});

describe('logs of a lost task', () => {
  it('says it was lost, not that it is running', async () => {
    const ledger = join(dir, 'lost.ledger');
    const plan = makePlan(dir, 'lost', {
      stages: [{ name: 's', tasks: [{ cmd: `echo up >> '${ledger}'; sleep 30` }] }],
    });
    const run = cliAsync(['run-partition', plan, 's', '1', '0']);
    await waitFor(() => lines(ledger).length > 0);
    run.child.kill('SIGKILL');
    await run.done;
    const r = cli(['logs', plan, 's.0']);
    expect(r.code).toBe(13);
    expect(r.stderr).toMatch(
      /task 's\.0' was lost: attempt 1 started on .* its run-partition ended before it did/,
    );
  });
});
