// The README's walkthrough, command by command, with the JSON shapes it documents as an interface.
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bash, BIN, cli, engineAvailable, FIXTURES, scratch } from '../helpers.js';

const STATES = ['pending', 'running', 'lost', 'interrupted', 'succeeded', 'failed'];

describe('walkthrough', () => {
  const dir = scratch();
  const plan = join(dir, 'sweep.plan');
  const spec = join(FIXTURES, 'examples', 'sweep.yaml');
  const batchplan = `'${process.execPath}' '${BIN}'`;

  it('plan prints a summary, and --json the stages with their task counts', () => {
    const r = cli(['plan', spec, '-o', plan]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 stages, 37 tasks/);
    const again = cli(['plan', spec, '-o', plan, '--force', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({
      totalTasks: 37,
      stages: [
        { name: 'extract', tasks: 36 },
        { name: 'merge', tasks: 1, after: ['extract'] },
      ],
    });
  });

  it('generate-script --json reports the actual partitions per stage', () => {
    const r = cli(['generate-script', plan, '4', '--runner', 'sequential', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stages).toEqual([
      { name: 'extract', tasks: 36, partitions: 4 },
      { name: 'merge', tasks: 1, partitions: 1 },
    ]);
    expect(out.content).toMatch(/^#!\/usr\/bin\/env bash/);
  });

  it('sequential | bash runs stage extract, whose two failing tasks keep merge from running', () => {
    const r = bash(`set -o pipefail; ${batchplan} generate-script '${plan}' 4 --runner sequential | bash`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage extract has failed tasks; later stages not run/);
  });

  it('gnu-parallel | bash retries only what failed, and fails the same way', () => {
    engineAvailable('parallel');
    const r = bash(`set -o pipefail; ${batchplan} generate-script '${plan}' 4 --runner gnu-parallel | bash`);
    expect(r.code).toBe(1);
    const failed = JSON.parse(cli(['tasks', plan, '--state', 'failed', '--json']).stdout);
    expect(failed.map((t: { attempts: number }) => t.attempts)).toEqual([4, 4]); // 2 per run (retries: 1)
  });

  it('status --json has per-stage counts in every state', () => {
    const r = cli(['status', plan, '--json']);
    const status = JSON.parse(r.stdout);
    for (const s of status.stages)
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['name', 'total', ...STATES]));
    expect(status.stages[0]).toMatchObject({
      name: 'extract',
      total: 36,
      succeeded: 34,
      failed: 2,
      pending: 0,
    });
    expect(status.stages[1]).toMatchObject({ name: 'merge', total: 1, pending: 1 });
    expect(status.overall).toMatchObject({ total: 37, succeeded: 34, failed: 2, done: false });
    const human = cli(['status', plan]).stdout;
    expect(human).toMatch(/extract\s+36\s+0\s+0\s+0\s+0\s+34\s+2/);
  });

  it('tasks --state failed names the failed tasks, with exit code and stderr tail', () => {
    const rows = JSON.parse(cli(['tasks', plan, '--state', 'failed', '--json']).stdout);
    expect(rows.map((t: { id: string }) => t.id)).toEqual(['extract.17', 'extract.29']);
    for (const t of rows) {
      expect(Object.keys(t)).toEqual(
        expect.arrayContaining(['id', 'stage', 'state', 'exitCode', 'attempts', 'cmd']),
      );
      expect(t).toMatchObject({ stage: 'extract', state: 'failed', exitCode: 3 });
    }
    const human = cli(['tasks', plan, '--state', 'failed', '--tail', '1']).stdout;
    expect(human).toMatch(/extract\.17 .* failed +3 .*\n +\| bad input for 5c/);
  });

  it('logs prints a task’s stdout and stderr', () => {
    const r = cli(['logs', plan, 'extract.17']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('--- stdout ---\nextract group 5 part c\n--- stderr ---\nbad input for 5c\n');
    expect(cli(['logs', plan, 'extract.17', '--stderr']).stdout).toBe('bad input for 5c\n');
    expect(cli(['logs', plan, 'merge.0']).stderr).toMatch(/has not run yet/);
  });

  it('exits quietly when its reader closes the pipe early (| head)', () => {
    const r = bash(
      `set -o pipefail; ${batchplan} tasks '${plan}' | head -n 1; ${batchplan} run-partition --help | head -n 1`,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^id +stage +state/);
  });

  it('keeps the number of files independent of the number of tasks', () => {
    const files = readdirSync(plan, { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && !e.parentPath.includes('results'),
    );
    // plan.json, tasks.jsonl, tasks.idx + one journal and one log per partition run (4 + 4 + 1 + 1 … runs)
    expect(files.length).toBeLessThanOrEqual(3 + 2 * 8);
  });
});

describe('run: the embedded default', () => {
  it('plans, runs every stage here, resumes when run again, and refuses a changed spec', () => {
    const dir = scratch();
    const spec = join(dir, 'two.yaml');
    const marker = join(dir, 'fixed');
    cpSync(join(FIXTURES, 'examples', 'sweep.yaml'), join(dir, 'sweep.yaml'));
    writeFileSync(
      spec,
      `stages:
  - name: a
    template: "[ {{n}} -ne 2 ] || [ -e '${marker}' ]"
    matrix: {n: {range: [0, 4]}}
  - name: b
    after: [a]
    tasks: [{cmd: "true"}]
  - name: c
    tasks: [{cmd: "true"}]
`,
    );
    const first = cli(['run', spec, '--json'], { cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/stage b: not run: a failed/);
    const status = JSON.parse(first.stdout);
    expect(status.stages.map((s: { name: string; succeeded: number }) => [s.name, s.succeeded])).toEqual([
      ['a', 3],
      ['b', 0],
      ['c', 1], // independent of a: still runs
    ]);

    writeFileSync(marker, '');
    const second = cli(['run', spec, '--json'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming plan/);
    expect(JSON.parse(second.stdout).overall).toMatchObject({ succeeded: 6, done: true });

    writeFileSync(spec, 'stages: [{name: a, tasks: [{cmd: "true"}]}]\n');
    const changed = cli(['run', spec], { cwd: dir });
    expect(changed.code).toBe(6);
    expect(changed.stderr).toMatch(/different version/);
    expect(cli(['run', spec, '--force'], { cwd: dir }).code).toBe(0);
  });
});
