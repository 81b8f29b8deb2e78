// docs/qdo.md's Slurm walk-through, run as written on the local Slurm cluster: its ```sh slurm block
// (not a doctest block: it needs a scheduler), each command with the exit status its comment
// promises, then what the page says about the outcome: two arrays, the first merge starting before
// the last extract ends, the urgent extract first, one blocked merge, and a resubmission of only
// partition 5 of each stage.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, docCommands, runDocCommands, type DocCommand } from '../docs/doctest.js';
import { URGENT_WAIT_MS } from '../../src/exec/urgent-first.js';
import { ROOT, slurmUp } from '../helpers.js';

const page = readFileSync(join(ROOT, 'docs', 'qdo.md'), 'utf8');
const blocks = codeBlocks(page).filter(
  (b) => b.lang === 'sh' && /\bslurm\b/.test(page.split('\n')[b.line - 2]!),
);

describe('docs/qdo.md', () => {
  it('has one Slurm walk-through block', () => expect(blocks).toHaveLength(1));
});

describe.runIf(slurmUp())('docs/qdo.md on Slurm', () => {
  it('runs as shown: 2 arrays, early merges, urgent first, a failure, retry, one partition resubmitted', async () => {
    const shown = docCommands('```sh doctest\n' + blocks[0]!.body + '\n```\n').map((c) => ({
      ...c,
      line: c.line + blocks[0]!.line - 1,
    }));
    // Then what the page claims, read from the plan the commands left.
    const extra: DocCommand[] = [
      // Per extract journal: its range's start, its header's time, its first record's time.
      'for f in qdo.plan/status/stage-0/*.jsonl; do head -2 "$f" | jq -sc \'[.[0].start, .[0].t, .[1].t]\'; done',
      'jq -c .arrays "qdo.plan/submissions/$(ls qdo.plan/submissions | sort | tail -1)"',
      "batchplan tasks qdo.plan --json | jq -c '[.[] | select(.attempts != 1) | .id]'",
    ].map((cmd) => ({ cmd, exit: 0, line: 0 }));
    const runs = await runDocCommands([...shown, ...extra]);
    for (const { command, code, output } of runs)
      expect(code, `docs/qdo.md:${command.line}: ${command.cmd}\n${output}`).toBe(command.exit);
    const out = (k: number) => runs[k]!.output.trim();
    const at = (text: string) => shown.findIndex((c) => c.cmd.includes(text));

    const first = out(at('QDO_FAIL=5-7'));
    expect(first).toMatch(
      /submitted 2 job\(s\) \(\d+, \d+\) for extract: 32 partition\(s\), merge: 32 partition\(s\)/,
    );
    expect(out(at('batchplan wait'))).toMatch(/extract +800 .* 799 +1 +0\nmerge +32 .* 31 +0 +1\n/);
    const firstMerge = Date.parse(out(at('map(.startedAt) | min')));
    const lastExtract = Date.parse(out(at('map(.endedAt) | max')));
    expect(firstMerge, 'the first merge starts before the last extract ends').toBeLessThan(lastExtract);
    expect(out(at('--state blocked'))).toMatch(
      /merge\.5 +merge +blocked[^\n]*\n.*requires extract\.\d+ \(stage extract\), which is failed/,
    );
    expect(out(at('batchplan retry'))).toMatch(
      /^extract: 1 task reset \(extract\.\d+\)\nmerge: 1 task reset \(merge\.5\)/,
    );
    const second = shown.findLastIndex((c) => c.cmd.startsWith('batchplan submit'));
    expect(out(second)).toMatch(/for extract: 1 of 32 partition\(s\), merge: 1 of 32 partition\(s\)/);
    expect(out(shown.length - 1)).toMatch(/overall: 832\/832 succeeded/);

    const [urgent, arrays, again] = [0, 1, 2].map((k) => out(shown.length + k));
    // The urgent extract is task 0 of partition 0; every other partition's first task waits for
    // its start, or for URGENT_WAIT_MS (under load Slurm may start element 0 late).
    const journals = urgent!.split('\n').map((l) => JSON.parse(l) as [number, number, number]);
    const urgentStart = Math.min(...journals.filter(([s]) => s === 0).map(([, , t]) => t));
    for (const [start, header, firstTask] of journals.filter(([s]) => s !== 0))
      expect(
        firstTask >= urgentStart || firstTask >= header + URGENT_WAIT_MS - 100,
        `partition at ${start}: first task ${firstTask - urgentStart} ms after the urgent one`,
      ).toBe(true);
    expect(out(at('--state blocked'))).toContain('echo merge 5');
    expect(JSON.parse(arrays!)).toEqual([
      { stage: 0, offset: 5, size: 1 },
      { stage: 1, offset: 5, size: 1 },
    ]);
    expect(JSON.parse(again!)).toEqual([expect.stringMatching(/^extract\.\d+$/)]);
  }, 300_000);
});
