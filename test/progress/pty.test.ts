// `batchplan run` as a person sees it: under a real pseudo-terminal (util-linux `script`) at a
// given width, its output applied to a model terminal must leave exactly the recorded screen (clock
// values masked): one block redrawn in place, never wrapped, then the status and the next command.
// Off a terminal it writes greppable lines instead.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliAwait, engineAvailable, FIXTURES, scratch } from '../helpers.js';
import { Screen } from './screen.js';

const dir = scratch('batchplan-pty-');
const haveScript = engineAvailable('script');
const ESC = '\x1b';
const EXPECTED = join(import.meta.dirname, 'expected');

/** Mask what changes from run to run: the scratch path and the clocks. */
function mask(lines: string[], plan: string): string {
  return lines
    .map((l) =>
      l
        .replaceAll(plan, '<plan>')
        .replace(/elapsed \d+[hms\d]*/g, 'elapsed <t>')
        .replace(/,? ETA \d+[hms\d]*/g, ''),
    )
    .join('\n')
    .trimEnd();
}

function runInPty(cols: number, plan: string) {
  const cmd = `stty cols ${cols} rows 50; '${process.execPath}' '${BIN}' run '${join(FIXTURES, 'examples', 'sweep.yaml')}' -o '${plan}'`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { code: r.status, raw: r.stdout.replace(/\r\n/g, '\n') };
}

describe.runIf(haveScript)('run under a pseudo-terminal', () => {
  it.each([60, 100])(
    'leaves one block redrawn in place at %i columns',
    (cols) => {
      const plan = join(dir, `sweep-${cols}.plan`);
      const { code, raw } = runInPty(cols, plan);
      expect(code).toBe(1);
      const term = new Screen(cols).write(raw);
      const rows = term.text();
      // Redrawn in place: one progress footer, whatever the number of redraws; and the block's own
      // rows (up to that footer) never wrapped.
      const footer = (l: string) => l.startsWith('overall: ') && l.includes('elapsed');
      expect(rows.filter(footer)).toHaveLength(1);
      expect(term.wrapped.slice(0, rows.findIndex(footer) + 1).some(Boolean)).toBe(false);
      const screen = term.lines();
      expect(raw).toMatch(new RegExp(`${ESC}\\[\\d+A`)); // it did go back up to redraw
      const got = mask(screen, plan);
      const file = join(EXPECTED, `run-${cols}.txt`);
      if (process.env.BATCHPLAN_RECORD === '1') writeFileSync(file, got + '\n');
      expect(got).toBe(readFileSync(file, 'utf8').trimEnd());
    },
    60_000,
  );
});

describe('run off a terminal', () => {
  it('writes key=value progress lines and the stage summaries, and ends with the next command', async () => {
    const plan = join(dir, 'piped.plan');
    const r = await cliAwait(['run', join(FIXTURES, 'examples', 'sweep.yaml'), '-o', plan]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(
      lines.some((l) =>
        /^batchplan: progress elapsed=\S+ succeeded=\d+ failed=\d+ running=\d+ queued=0 left=\d+/.test(l),
      ),
    ).toBe(true);
    expect(lines.at(-1)).toBe(`next: batchplan tasks ${plan} --state failed --tail 3`);
    expect(lines).toContain('batchplan: stage merge: not run: extract failed');
    expect(r.stderr).not.toContain(ESC);
  }, 60_000);
});
