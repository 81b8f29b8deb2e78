// The live progress view, pure and through a model terminal: every line fits the width, the block
// redraws in place (also after the terminal is narrowed), the log form writes only on change and at
// most once per interval, and no job id ever appears.
import { describe, expect, it } from 'vitest';
import { LiveProgress } from '../../src/progress/live.js';
import type { ProgressSnapshot } from '../../src/progress/model.js';
import { nextCommand } from '../../src/progress/next.js';
import { renderBlock, renderLogLine } from '../../src/progress/render.js';
import { Screen } from './screen.js';

const snap = (done: number, elapsedMs = 10_000): ProgressSnapshot => ({
  elapsedMs,
  stages: [
    { name: 'extract', total: 1000, succeeded: done, failed: 2, running: 8, queued: 40 },
    { name: 'a-rather-long-stage-name', total: 40, succeeded: 0, failed: 0, running: 0, queued: 0 },
    { name: 'merge', total: 1, succeeded: 0, failed: 0, running: 0, queued: 0, blockedBy: ['extract'] },
  ],
});

describe('renderBlock', () => {
  it.each([20, 33, 50, 80, 120, 250])('fits every line into %i columns', (width) => {
    const lines = renderBlock(snap(500), width);
    expect(lines).toHaveLength(4);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(width);
  });

  it('shows counts, a bar, percent and ETA per stage, and an overall footer', () => {
    const [extract, long, merge, footer] = renderBlock(snap(500), 120);
    // 502 of 1000 ended in 10 s: the 498 left take about 10 s more.
    expect(extract).toMatch(
      /^extract +█+░+ +50% +500 ok, 2 failed, 8 running, 40 queued, 450 left +ETA 10s$/,
    );
    expect(long).toMatch(/^a-rather-long-stage-name +░+ +0% +0 ok, 40 left +ETA 1s$/);
    expect(merge).toMatch(/^merge +not run: extract failed$/);
    expect(footer).toBe(
      'overall: 500/1,041 succeeded (48.0%), 2 failed, 8 running, 40 queued, elapsed 10s, ETA 11s',
    );
  });

  it('drops the bar before it cuts the counts, and cuts long names', () => {
    const [extract] = renderBlock(snap(500), 50);
    expect(extract).not.toContain('█');
    expect(extract).toContain('500 ok');
    expect(renderBlock(snap(500), 40)[1]).toMatch(/^a-rather-…/);
  });

  it('has no ETA before the first task ends, and none when all that is left will not run', () => {
    expect(renderBlock({ ...snap(0), stages: [{ ...snap(0).stages[0]!, failed: 0 }] }, 120)[1]).not.toContain(
      'ETA',
    );
    const blocked = snap(998);
    blocked.stages = [{ ...blocked.stages[0]!, running: 0, queued: 0 }, blocked.stages[2]!];
    expect(renderBlock(blocked, 120).join('\n')).not.toContain('ETA');
  });
});

describe('renderLogLine', () => {
  it('is one key=value line', () => {
    expect(renderLogLine(snap(500))).toBe(
      'progress elapsed=10s succeeded=500 failed=2 running=8 queued=40 left=539 eta=11s stage.extract=502/1000 stage.a-rather-long-stage-name=0/40 stage.merge=not-run',
    );
  });
});

/** The log line read back as a program would: words split on spaces, each key up to its last `=`. */
function parseLogLine(line: string): { plan: Record<string, string>; stages: Map<string, string> } {
  const plan: Record<string, string> = {};
  const stages = new Map<string, string>();
  for (const word of line.split(' ').slice(1)) {
    const eq = word.lastIndexOf('=');
    const [key, value] = [word.slice(0, eq), word.slice(eq + 1)];
    if (!key.startsWith('stage.')) plan[key] = value;
    else {
      const name = key.slice('stage.'.length);
      stages.set(name.startsWith('"') ? (JSON.parse(name) as string) : name, value);
    }
  }
  return { plan, stages };
}

describe('renderLogLine with hostile stage names', () => {
  it('keeps plan-wide keys and every stage apart, whatever the stage is called', () => {
    const names = [
      'left',
      'a b',
      'x=1',
      'eta',
      'succeeded',
      'say "hi"',
      'back\\slash',
      '  ',
      'ünï',
      'stage.x',
    ];
    const line = renderLogLine({
      elapsedMs: 5000,
      stages: names.map((name, k) => ({
        name,
        total: 10 + k,
        succeeded: k,
        failed: 0,
        running: 0,
        queued: 0,
      })),
    });
    expect(line).not.toContain('\n');
    const { plan, stages } = parseLogLine(line);
    expect(plan).toEqual({
      elapsed: '5s',
      succeeded: String(names.reduce((n, _, k) => n + k, 0)),
      failed: '0',
      running: '0',
      queued: '0',
      left: String(names.length * 10),
      eta: expect.any(String),
    });
    expect([...stages]).toEqual(names.map((name, k) => [name, `${k}/${10 + k}`]));
    expect(line).toContain(' stage.left=0/10 stage."a\\u0020b"=1/11 stage."x=1"=2/12 stage.eta=3/13 ');
  });

  it('a stage name holding " eta=" does not hide a change', () => {
    const at = (done: number): ProgressSnapshot => ({
      elapsedMs: 1000,
      stages: [{ name: 'x eta=1', total: 4, succeeded: done, failed: 0, running: 0, queued: 0 }],
    });
    const out: string[] = [];
    const live = new LiveProgress({ write: (s: string) => out.push(s) }, { intervalMs: 0 });
    live.update(at(1));
    live.update(at(2));
    expect(out).toHaveLength(2);
  });
});

function terminal(cols: number) {
  const screen = new Screen(cols);
  const stream = { isTTY: true, columns: cols, write: (s: string) => screen.write(s) };
  return { screen, stream };
}

describe('LiveProgress on a terminal', () => {
  it('redraws in place: many updates leave one block on screen', () => {
    const { screen, stream } = terminal(80);
    screen.write('$ batchplan run sweep.yaml\n');
    const live = new LiveProgress(stream, { redrawMs: 0 });
    for (let d = 0; d <= 900; d += 100) live.update(snap(d));
    live.finish(snap(998), ['next: batchplan tasks sweep.plan --state failed --tail 3']);
    const text = screen.text();
    expect(text[0]).toBe('$ batchplan run sweep.yaml');
    expect(text.slice(1, 5)).toEqual(renderBlock(snap(998), 80));
    expect(text.slice(5)).toEqual(['next: batchplan tasks sweep.plan --state failed --tail 3', '']);
  });

  it('stays in place when the terminal is narrowed between two redraws', () => {
    const { screen, stream } = terminal(140);
    screen.write('earlier output\n');
    const live = new LiveProgress(stream, { redrawMs: 0 });
    live.update(snap(100));
    screen.resize(45); // the block's lines are wider than this now and rewrap
    stream.columns = 45;
    live.update(snap(200));
    expect(screen.text()).toEqual(['earlier output', ...renderBlock(snap(200), 45)]);
    for (const row of screen.text()) expect([...row].length).toBeLessThanOrEqual(45);
  });

  it('throttles redraws', () => {
    let t = 0;
    let writes = 0;
    const live = new LiveProgress(
      { isTTY: true, columns: 80, write: () => writes++ },
      { redrawMs: 100, now: () => t },
    );
    for (; t < 1000; t += 10) live.update(snap(t));
    expect(writes).toBe(10);
  });
});

describe('LiveProgress off a terminal', () => {
  it('logs a line when something changed, at most one per interval, and the last state at the end', () => {
    let t = 0;
    const out: string[] = [];
    const live = new LiveProgress({ write: (s: string) => out.push(s) }, { intervalMs: 1000, now: () => t });
    live.update(snap(10));
    t = 100;
    live.update(snap(20)); // changed, but too soon
    t = 2000;
    live.update(snap(20, 99_000)); // only the clock moved: not a change... but 20 is new since the last line
    t = 2100;
    live.update(snap(20, 99_000));
    t = 5000;
    live.update(snap(20, 120_000)); // nothing changed
    live.finish(snap(30), ['next: batchplan status p.plan']);
    expect(out.map((l) => l.replace(/ eta=\S+/, ''))).toEqual([
      'batchplan: progress elapsed=10s succeeded=10 failed=2 running=8 queued=40 left=1029 stage.extract=12/1000 stage.a-rather-long-stage-name=0/40 stage.merge=not-run\n',
      'batchplan: progress elapsed=1m39s succeeded=20 failed=2 running=8 queued=40 left=1019 stage.extract=22/1000 stage.a-rather-long-stage-name=0/40 stage.merge=not-run\n',
      'batchplan: progress elapsed=10s succeeded=30 failed=2 running=8 queued=40 left=1009 stage.extract=32/1000 stage.a-rather-long-stage-name=0/40 stage.merge=not-run\n',
      'next: batchplan status p.plan\n',
    ]);
  });
});

describe('nextCommand', () => {
  it('points at the failures, at what is left, or at the report', () => {
    expect(nextCommand('my plan', { total: 3, succeeded: 1, failed: 1 }, 'run')).toBe(
      "next: batchplan tasks 'my plan' --state failed --tail 3",
    );
    expect(nextCommand('p', { total: 3, succeeded: 1, failed: 0 }, 'run')).toBe('next: batchplan run p');
    expect(nextCommand('p', { total: 3, succeeded: 3, failed: 0 }, 'status')).toBe(
      'next: batchplan report p',
    );
  });
});
