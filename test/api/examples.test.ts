// The API's documentation is tested: every TypeScript block of README.md and docs/api.md type-checks
// against the API (src/index.ts, as `import ... from 'batchplan'`), a wrong spec does not, the
// examples/ files are on the page as they are, and running them prints what the page shows.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from '../docs/doctest.js';
import { bash, ROOT, scratch, slurmUp } from '../helpers.js';

const page = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));
const dir = scratch('batchplan-api-examples-');

/** tsconfig.json's compiler options (target, lib, strictness, the 'batchplan' path), to check with. */
function projectOptions(): ts.CompilerOptions {
  const file = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
  const { rootDir: _rootDir, outDir: _outDir, ...rest } = options;
  return { ...rest, noEmit: true, declaration: false, sourceMap: false };
}

/** tsc's diagnostics for `files`, with 'batchplan' mapped to the sources, as tsconfig.json maps it. */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, projectOptions());
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/** Every name src/index.ts exports (values and types), as the type checker sees them. */
function indexExports(): string[] {
  const program = ts.createProgram([join(ROOT, 'src/index.ts')], projectOptions());
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, 'src/index.ts'))!)!;
  return checker.getExportsOfModule(index).map((s) => s.name);
}

function tsBlocks(file: string) {
  return codeBlocks(readFileSync(join(ROOT, file), 'utf8')).filter((b) => b.lang === 'ts');
}

describe('the API examples', () => {
  it('every ts block of README.md and docs/api.md type-checks; a wrong key or type does not', () => {
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    const files = ['README.md', 'docs/api.md'].flatMap((f) =>
      tsBlocks(f).map((b, k) => {
        const file = join(dir, `${f.replace(/\W/g, '_')}_${k}.ts`);
        writeFileSync(file, `${b.body}\nexport {};\n`);
        return file;
      }),
    );
    expect(files.length).toBeGreaterThanOrEqual(4);
    const wrong = join(dir, 'wrong.ts');
    writeFileSync(
      wrong,
      "import { defineSpec } from 'batchplan';\n" +
        "defineSpec({ stages: [{ name: 'a', nproc: 2, tasks: [{ cmd: 'true' }] }] });\n" +
        "defineSpec({ stages: [{ name: 'b', nprocs: 'two', tasks: [{ cmd: 'true' }] }] });\n" +
        "import { openPlan } from 'batchplan';\n" +
        "await openPlan('p').submit({ runner: 'sge', partitions: 2, layout: 'arrays' });\n" +
        "await openPlan('p').submit({ runner: 'slurm', partitions: 2, maxRuning: 2 });\n" +
        "openPlan('p').rerun({ stage: ['a'] });\n" +
        'export {};\n',
    );
    // One program for all (the API's sources are checked once): the errors are all in wrong.ts.
    const errors = typeErrors([...files, wrong]);
    expect(errors.filter((e) => !e.startsWith(wrong))).toEqual([]);
    expect(errors.join('\n')).toMatch(/'nproc' does not exist/);
    expect(errors.join('\n')).toMatch(/'string' is not assignable to type 'number'/);
    // Submit options are typed per runner; rerun needs force: true.
    expect(errors.join('\n')).toMatch(/'layout' does not exist in type 'SubmitOptionsFor<"sge">'/);
    expect(errors.join('\n')).toMatch(/'maxRuning' does not exist .*Did you mean to write 'maxRunning'/s);
    expect(errors.join('\n')).toMatch(/Property 'force' is missing/);
  }, 120_000);

  it.each(examples)('docs/api.md shows examples/%s as it is', (file) => {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8').trimEnd();
    expect(tsBlocks('docs/api.md').map((b) => b.body)).toContain(text);
  });

  it.each(['quickstart.ts', 'errors.ts', 'qdo.ts', ...(slurmUp() ? ['slurm.ts'] : [])])(
    'examples/%s runs and prints what docs/api.md shows after it',
    (file) => {
      const text = readFileSync(join(ROOT, 'examples', file), 'utf8').trimEnd();
      const blocks = codeBlocks(page);
      const at = blocks.findIndex((b) => b.lang === 'ts' && b.body === text);
      const shown = blocks.slice(at + 1).find((b) => b.lang === 'text');
      const cwd = join(dir, file);
      const r = bash(
        `mkdir -p ${cwd} && cd ${cwd} && ${join(ROOT, 'node_modules/.bin/vite-node')} ${join(ROOT, 'examples', file)}`,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd()).toBe(shown!.body.trimEnd());
    },
  );

  it("docs/api.md's list of exports is exactly src/index.ts's, one line each", () => {
    const list = page.slice(page.indexOf('\n## Every export\n'));
    // Each top-level bullet names one export first: "- `name(...)`: ..." or "- `Name`: ...".
    const listed = [...list.matchAll(/^- `([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
    const exported = indexExports();
    expect(exported.length).toBeGreaterThan(50);
    expect(
      listed.filter((n, i) => listed.indexOf(n) !== i),
      'listed twice',
    ).toEqual([]);
    expect(
      exported.filter((n) => !listed.includes(n)),
      'exported, not in docs/api.md',
    ).toEqual([]);
    expect(
      listed.filter((n) => !exported.includes(n)),
      'in docs/api.md, not exported',
    ).toEqual([]);
  }, 60_000);
});
