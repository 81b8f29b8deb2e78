// Limits: timers past 2^31 ms, task counts counted before anything is built, `plan` stopped by a
// signal, and specs too big, too clever (alias bombs) or with bytes no command may hold.
import { existsSync, mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLongTimeout } from '../../src/util/long-timer.js';
import { cli, cliAsync, scratch } from '../helpers.js';
import { lines, makePlan, waitFor } from './helpers.js';

const dir = scratch();
const DAY = 86_400_000;

function spec(name: string, body: string | Buffer | object): string {
  const file = join(dir, name);
  writeFileSync(file, typeof body === 'object' && !Buffer.isBuffer(body) ? JSON.stringify(body) : body);
  return file;
}

describe('long timers', () => {
  afterEach(() => void vi.useRealTimers());

  it('setLongTimeout fires after 25 days, not at once (Node fires a 2^31 ms timer after 1 ms)', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 25 * DAY);
    vi.advanceTimersByTime(24.9 * DAY);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0.2 * DAY);
    expect(fired).toHaveBeenCalledOnce();
    // The naive way, for contrast: what the fake clock (like Node) does with 25 days.
    const naive = vi.fn();
    setTimeout(naive, 25 * DAY);
    vi.advanceTimersByTime(10);
    expect(naive).toHaveBeenCalled();
  });

  it('a task with a 25-day timeout runs to its end', () => {
    const plan = makePlan(dir, 'long-timeout', {
      stages: [{ name: 's', timeout: '25d', tasks: [{ cmd: 'sleep 0.3' }] }],
    });
    const r = cli(['run-partition', plan, 's', '1', '0', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('--grace 30d does not SIGKILL a task that takes its time to stop', async () => {
    const ledger = join(dir, 'grace.ledger');
    const plan = makePlan(dir, 'grace', {
      stages: [
        {
          name: 's',
          tasks: [{ cmd: `trap '' TERM; echo up >> '${ledger}'; sleep 1.5; echo done >> '${ledger}'` }],
        },
      ],
    });
    const run = cliAsync(['run-partition', plan, 's', '1', '0', '--grace', '30d']);
    await waitFor(() => lines(ledger).length >= 1);
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(lines(ledger)).toEqual(['up', 'done']);
    expect(r.code).toBe(143);
  });

  it('refuses 1e20 as a timeout, a grace period and an interval', () => {
    const file = spec('huge-timeout.json', {
      stages: [{ name: 's', timeout: 1e20, tasks: [{ cmd: 'true' }] }],
    });
    const r = cli(['plan', file, '-o', join(dir, 'huge-timeout.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/timeout.*not a duration.*at most 100 years/);
    const plan = makePlan(dir, 'g', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    const g = cli(['run-partition', plan, 's', '1', '0', '--grace', '100000000000000000000']);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/--grace.*at most 100 years/s);
    const w = cli(['wait', plan, '--interval', '100000000000000000000']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--interval/);
  });
});

describe('task counts are checked before anything is built', () => {
  it('refuses a 1000³ matrix at once, with the count', () => {
    const file = spec('cube.json', {
      stages: [
        {
          name: 's',
          template: 'echo {{a}} {{b}} {{c}}',
          matrix: { a: { range: [0, 1000] }, b: { range: [0, 1000] }, c: { range: [0, 1000] } },
        },
      ],
    });
    const t0 = Date.now();
    const r = cli(['plan', file, '-o', join(dir, 'cube.plan')]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('1,000,000,000 tasks (1000 × 1000 × 1000)');
    expect(r.stderr).toContain('--max-tasks');
    expect(existsSync(join(dir, 'cube.plan'))).toBe(false);
  });

  it('refuses range [0, 1e9] without building it, and a 1e6³ matrix too', () => {
    const one = spec('range.json', {
      stages: [{ name: 's', template: 'echo {{k}}', matrix: { k: { range: [0, 1e9] } } }],
    });
    const r = cli(['plan', one, '-o', join(dir, 'range.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('range [0, 1000000000) has 1,000,000,000 values');
    const cube = spec('cube6.json', {
      stages: [
        {
          name: 's',
          template: 'echo {{a}}{{b}}{{c}}',
          matrix: { a: { range: [0, 1e6] }, b: { range: [0, 1e6] }, c: { range: [0, 1e6] } },
        },
      ],
    });
    const c = cli(['plan', cube, '-o', join(dir, 'cube6.plan')]);
    expect(c.code).toBe(4);
    expect(c.stderr).toContain('1,000,000,000,000,000,000 tasks');
  });

  it('--max-tasks sets the limit', () => {
    const file = spec('twenty.json', {
      stages: [{ name: 's', template: 'echo {{k}}', matrix: { k: { range: [0, 20] } } }],
    });
    const low = cli(['plan', file, '-o', join(dir, 'twenty.plan'), '--max-tasks', '10']);
    expect(low.code).toBe(4);
    expect(low.stderr).toContain('has 20 values, over the limit of 10');
    expect(cli(['plan', file, '-o', join(dir, 'twenty.plan'), '--max-tasks', '20']).code).toBe(0);
  });
});

describe('plan under signals', () => {
  const big = () =>
    spec('big.json', {
      stages: [
        {
          name: 's',
          template: 'echo {{a}} {{b}}',
          matrix: { a: { range: [0, 3000] }, b: { range: [0, 1000] } },
        },
      ],
    });
  const leftovers = (name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.`));

  it('SIGTERM stops it: exit 143, no plan, no temp directory', async () => {
    const run = cliAsync(['plan', big(), '-o', join(dir, 'stopped.plan')]);
    await waitFor(() => leftovers('stopped.plan').length > 0);
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(existsSync(join(dir, 'stopped.plan'))).toBe(false);
    expect(leftovers('stopped.plan')).toEqual([]);
  });

  it('the temp directory of a SIGKILLed plan is removed by the next plan', async () => {
    const run = cliAsync(['plan', big(), '-o', join(dir, 'killed.plan')]);
    await waitFor(() => leftovers('killed.plan').length > 0);
    run.child.kill('SIGKILL');
    await run.done;
    expect(leftovers('killed.plan')).toHaveLength(1);
    // Another host's temp directory (its plan may still be writing) is left alone.
    const foreign = join(dir, '.killed.plan.tmp-otherhost-1-abc');
    mkdirSync(foreign);
    const small = spec('small.json', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    expect(cli(['plan', small, '-o', join(dir, 'killed.plan')]).code).toBe(0);
    expect(leftovers('killed.plan')).toEqual(['.killed.plan.tmp-otherhost-1-abc']);
    expect(hostname()).not.toBe('otherhost');
  });
});

describe('specs that are too big or too clever', () => {
  it('a YAML alias bomb is E_SPEC_PARSE, not an internal error', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let k = 1; k < 9; k++) {
      const prev = String.fromCharCode(96 + k);
      const cur = String.fromCharCode(97 + k);
      bomb.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    bomb.push('stages: [{name: s, tasks: [{cmd: "true"}]}]');
    const r = cli(['plan', spec('bomb.yaml', bomb.join('\n') + '\n'), '-o', join(dir, 'bomb.plan')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/E_SPEC_PARSE.*alias/);
  });

  it('a spec over 64 MiB is refused before it is read, with its size', () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, 500 << 20); // sparse: no disk used
    const r = cli(['plan', file, '-o', join(dir, 'huge.plan')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is 500 MiB, over the limit of 64 MiB');
  });
});

describe('bytes no command may hold', () => {
  it('a command over 128 KiB is refused at plan, naming the task', () => {
    const file = spec('long.json', {
      stages: [
        { name: 's', tasks: [{ cmd: 'true' }, { id: 'long-one', cmd: `echo ${'x'.repeat(131_072)}` }] },
      ],
    });
    const r = cli(['plan', file, '-o', join(dir, 'long.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('task long-one: its command is 131,077 bytes');
    // Just under the limit is fine and runs.
    const ok = makePlan(dir, 'just-under', {
      stages: [{ name: 's', tasks: [{ cmd: `: ${'x'.repeat(131_071 - 2)}` }] }],
    });
    expect(cli(['run-partition', ok, 's', '1', '0']).code).toBe(0);
  });

  it('a command built from a matrix over the limit names its task', () => {
    const file = spec('long-matrix.json', {
      stages: [{ name: 'm', template: 'echo {{v}}', matrix: { v: ['short', 'y'.repeat(140_000)] } }],
    });
    const r = cli(['plan', file, '-o', join(dir, 'long-matrix.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('task m.1: its command is');
    expect(readdirSync(dir).filter((f) => f.startsWith('.long-matrix.plan'))).toEqual([]);
  });

  it('a NUL byte in a command is refused at plan', () => {
    const file = spec('nul.json', { stages: [{ name: 's', tasks: [{ cmd: 'echo safe\u0000; rm -rf x' }] }] });
    const r = cli(['plan', file, '-o', join(dir, 'nul.plan')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('task s.0: its command has a NUL byte at character 9');
  });

  it('invalid UTF-8 is E_SPEC_PARSE with the byte offset, not a silent U+FFFD', () => {
    const head = Buffer.from('stages:\n  - name: s\n    tasks: [{cmd: "echo caf');
    const text = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('"}]\n')]);
    const r = cli(['plan', spec('latin1.yaml', text), '-o', join(dir, 'latin1.plan')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`is not valid UTF-8: byte ${head.length} (0xe9)`);
    // From stdin too.
    const s = cli(['plan', '-', '-o', join(dir, 'stdin.plan')], { input: 'echo \u00e9\n' });
    expect(s.code).toBe(0);
  });
});

describe('hostile plan paths for schedulers', () => {
  it('Slurm: a plan path with a backslash is refused at generate-script (sbatch would fail every element)', () => {
    const parent = join(dir, 'back\\slash');
    mkdirSync(parent);
    const plan = makePlan(parent, 'p', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    const r = cli(['generate-script', plan, '1', '--runner', 'slurm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has a backslash');
    // The same path is fine where no output pattern is involved.
    expect(cli(['generate-script', plan, '1', '--runner', 'sequential']).code).toBe(0);
  });

  it('LSF: a plan path with a % is refused at generate-script (bsub -o reads %J and %I, with no escape)', () => {
    const parent = join(dir, 'per%Jcent');
    mkdirSync(parent);
    const plan = makePlan(parent, 'p', { stages: [{ name: 's', tasks: [{ cmd: 'true' }] }] });
    const r = cli(['generate-script', plan, '1', '--runner', 'lsf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has a %');
    expect(cli(['generate-script', plan, '1', '--runner', 'sequential']).code).toBe(0);
  });
});
