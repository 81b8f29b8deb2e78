// The README and docs/ are tested: their runnable commands run (doctest.ts), their links resolve,
// and the tables and JSON examples that are interfaces match the code.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, EXIT_CODES } from '../../src/errors.js';
import { cliAwait, ROOT, scratch } from '../helpers.js';
import { codeBlocks, docCommands, runDocCommands } from './doctest.js';

const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');
const PAGES = [
  'README.md',
  ...(readdirSync(join(ROOT, 'docs'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f))
    .sort(),
];

describe('README', () => {
  it('is a guide: at most 12 KB, linking to the manual in docs/', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(12 * 1024);
    for (const page of [
      'docs/spec.md',
      'docs/run-partition.md',
      'docs/exit-codes.md',
      'docs/contributing.md',
    ])
      expect(read('README.md')).toContain(`](${page})`);
  });

  it('gives the test command .ci/run runs', () => {
    const ci = read('.ci/run');
    expect(read('README.md')).toMatch(/## Tests\n\n```\nnpm test\n```/);
    expect(ci).toMatch(/^BATCHPLAN_REQUIRE_ENGINES=1 npm test$/m);
  });
});

describe.each(PAGES)('%s', (page) => {
  const text = read(page);

  it('links only to files that exist', () => {
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      expect(existsSync(join(ROOT, dirname(page), target)), `${page} links to ${target}`).toBe(true);
    }
  });

  it('names no path of the machine it was written on', () => {
    expect(text).not.toMatch(/\/work\/|\/tmp\/[\w.-]+/);
  });

  const commands = docCommands(text);
  it.runIf(commands.length > 0)(`runs its ${commands.length} doctest commands as shown`, async () => {
    for (const { command, code, output } of await runDocCommands(commands)) {
      const where = `${page}:${command.line}: ${command.cmd}\n${output}`;
      expect(code, where).toBe(command.exit);
      if (command.output !== undefined) expect(output.trimEnd(), where).toBe(command.output.trimEnd());
    }
  });
});

describe('doctest', () => {
  it('reads commands, continuation lines, promised exit statuses and console output', async () => {
    const page = [
      '```sh doctest',
      'true',
      '# a comment',
      'false   # exit status 1',
      'echo a \\',
      '  b',
      '```',
      '```sh',
      'not run',
      '```',
      '```console doctest',
      '$ echo hi',
      'hi',
      '$ true',
      '$ exit_two() { return 2; }; exit_two   # exit status 2',
      'two',
      '```',
    ].join('\n');
    const commands = docCommands(page);
    expect(commands.map((c) => [c.cmd, c.exit, c.output, c.line])).toEqual([
      ['true', 0, undefined, 2],
      ['false   # exit status 1', 1, undefined, 4],
      ['echo a \\\n  b', 0, undefined, 5],
      ['echo hi', 0, 'hi', 12],
      ['true', 0, '', 14],
      ['exit_two() { return 2; }; exit_two   # exit status 2', 2, 'two', 15],
    ]);
    const runs = await runDocCommands(commands);
    expect(runs.map((r) => [r.code, r.output])).toEqual([
      [0, ''],
      [1, ''],
      [0, 'a b\n'],
      [0, 'hi\n'],
      [0, ''],
      [2, ''],
    ]);
  });

  it('keeps one session (variables carry over) and catches a wrong exit status', async () => {
    const runs = await runDocCommands(
      docCommands('```sh doctest\nx=5\n[ "$x" = 5 ]\nexit_three() { return 3; }; exit_three\n```'),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 3]);
  });
});

describe('docs/exit-codes.md', () => {
  it('lists every exit code, with its number and meaning', () => {
    const page = read('docs/exit-codes.md');
    for (const [code, exit] of Object.entries(EXIT_CODES))
      expect(page, code).toContain(
        `| ${exit} | \`${code}\` | ${EXIT_CODE_MEANINGS[code as keyof typeof EXIT_CODES]} |`,
      );
  });
});

describe('docs/status.md: the JSON examples are the keys the commands print', () => {
  const dir = scratch('batchplan-doc-json-');
  const plan = join(dir, 'sweep.plan');
  const json = async (args: string[]) => JSON.parse((await cliAwait([...args, '--json'])).stdout) as unknown;
  /** Every key in a JSON value, at any depth. */
  const keys = (v: unknown, into = new Set<string>()): Set<string> => {
    if (Array.isArray(v)) for (const x of v) keys(x, into);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        into.add(k);
        keys(x, into);
      }
    return into;
  };
  const examples = codeBlocks(read('docs/status.md'))
    .filter((b) => b.lang === 'json')
    .map((b) => new Set([...b.body.matchAll(/"(\w+)":/g)].map((m) => m[1]!)));
  /** Keys the page says appear only when they apply (not in this plan's output). */
  const conditional = new Set(['signal', 'timedOut', 'queued', 'jobs']);

  const cases: [string, () => Promise<unknown>][] = [
    ['plan --json', () => json(['plan', join(ROOT, 'fixtures/examples/sweep.yaml'), '-o', plan])],
    ['generate-script --json', () => json(['generate-script', plan, '4', '--runner', 'sequential'])],
    [
      'status --json',
      async () => {
        await cliAwait(['run', plan]);
        return json(['status', plan]);
      },
    ],
    ['tasks --json', () => json(['tasks', plan, '--state', 'failed', '--tail', '1'])],
  ];
  it.each(cases.map(([name, run], i) => [name, run, i] as const))('%s', async (name, run, i) => {
    const printed = keys(await run());
    const documented = examples[i]!;
    expect(documented.size, `the JSON example for ${name}`).toBeGreaterThan(0);
    for (const k of printed) expect(documented, `${name} prints '${k}': document it`).toContain(k);
    for (const k of documented)
      if (!conditional.has(k)) expect(printed, `${name}: the page shows '${k}'`).toContain(k);
  });

  it('run-partition --json', async () => {
    const r = await cliAwait(['run-partition', plan, 'merge', '1', '0', '--json']);
    const page = read('docs/status.md');
    const listed = /`run-partition --json` prints\s+`\{([^}]+)\}`/.exec(page)?.[1];
    expect(listed, 'the run-partition --json line in docs/status.md').toBeDefined();
    const documented = new Set(listed!.split(',').map((k) => k.trim().replace(/\?$/, '')));
    for (const k of Object.keys(JSON.parse(r.stdout) as object))
      expect(documented, `run-partition --json prints '${k}': document it`).toContain(k);
  });
});

it('PAGES covers every Markdown page under docs/', () => {
  expect(PAGES.length).toBeGreaterThan(10);
  expect(PAGES.every((p) => !relative(ROOT, join(ROOT, p)).startsWith('..'))).toBe(true);
});
