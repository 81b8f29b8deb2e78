// The parts of the README and docs/runners/README.md that list the runners, from the registry of
// descriptors (never by hand): written between `<!-- runners:… -->` markers by `npm run gen:schemas`;
// test/runners/runner-docs.test.ts fails when the committed files differ.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerDescriptor } from '../../src/runners/descriptor.js';
import { RUNNERS } from '../../src/runners/registry.js';
import { ROOT } from './write.js';

/** The registry order of the table: runners on this machine first, then schedulers, then the rest. */
const rank = (r: RunnerDescriptor) => (r.capabilities.runsLocally ? 0 : r.capabilities.canSubmit ? 1 : 2);
const ordered = () => [...RUNNERS].sort((a, b) => rank(a) - rank(b));

function indexColumn(r: RunnerDescriptor): string {
  const vars = r.capabilities.indexVariables ?? [];
  if (!vars.length) return '— (explicit index)';
  return vars.map((v) => `\`${v.name}\``).join(' / ') + (r.capabilities.oneBased ? ' (one-based)' : '');
}

/** The README's runner table. */
export function runnerTable(pages = 'docs/runners/'): string {
  const head =
    '| runner | renders | how to run it | index variable | stage order | requires | tested |\n| --- | --- | --- | --- | --- | --- | --- |';
  const rows = ordered().map((r) => {
    const t = r.table;
    return `| [\`${r.name}\`](${pages}${r.name}.md) | ${t.renders} | ${t.run} | ${indexColumn(r)} | ${t.stageOrder} | ${t.requires} | ${t.tested} |`;
  });
  return [head, ...rows].join('\n');
}

/** Plain text for Markdown: `<id>` outside code spans would be read as an HTML tag. */
const markdownText = (s: string) =>
  s
    .split('`')
    .map((part, k) => (k % 2 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;')))
    .join('`');

/** docs/runners/README.md's list of runner pages. */
export function runnerPages(): string {
  return ordered()
    .map((r) => `- [${r.name}](${r.name}.md): ${markdownText(r.summary)}`)
    .join('\n');
}

/** `text` with the lines between `<!-- NAME:begin … -->` and `<!-- NAME:end -->` replaced by `body`. */
export function withSection(text: string, name: string, body: string): string {
  const begin = new RegExp(`^<!-- ${name}:begin[^\\n]*-->\\n`, 'm');
  const end = `<!-- ${name}:end -->`;
  const b = begin.exec(text);
  const e = text.indexOf(end);
  if (!b || e < b.index) throw new Error(`no <!-- ${name}:begin --> … ${end} section`);
  return text.slice(0, b.index + b[0].length) + body + '\n' + text.slice(e);
}

const readRoot = (path: string) => readFileSync(join(ROOT, path), 'utf8');

export const readmeWithRunners = (): string => withSection(readRoot('README.md'), 'runners', runnerTable());

export const runnerDocsWithPages = (): string =>
  withSection(readRoot('docs/runners/README.md'), 'runners', runnerPages());
