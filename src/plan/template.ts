// Handlebars command templates for parameter sweeps. Values are inserted as written (noEscape);
// `{{q value}}` shell-quotes one. Strict: a variable the params or matrix do not define throws.
import Handlebars from 'handlebars';
import { shellQuote } from '../util/shell-quote.js';

const hb = Handlebars.create();

export type TaskTemplate = (vars: Record<string, unknown>, index: number) => string;

interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

/**
 * `{{q value}}`. Handlebars' strict mode checks only plain `{{name}}`s, not a helper's arguments, so
 * the helper itself refuses an undefined value rather than quoting the word `undefined`.
 */
function quoteHelper(source: string) {
  const lines = source.split('\n');
  return (...args: unknown[]) => {
    const { loc } = args.pop() as { loc?: Loc };
    if (args.length === 1 && args[0] !== undefined) return shellQuote(String(args[0]));
    const text =
      loc && loc.start.line === loc.end.line
        ? lines[loc.start.line - 1]!.slice(loc.start.column, loc.end.column)
        : '{{q …}}';
    const at = loc ? ` - ${loc.start.line}:${loc.start.column}` : '';
    throw new Error(
      `${text} needs exactly one defined value, got ${args.length === 1 ? 'an undefined one' : args.length}${at}`,
    );
  };
}

export function compileTaskTemplate(source: string): TaskTemplate {
  hb.parse(source); // compile() is lazy: a syntax error would otherwise surface at the first render.
  const render = hb.compile(source, { strict: true, noEscape: true });
  const helpers = { q: quoteHelper(source) };
  return (vars, index) => render(vars, { data: { index }, helpers });
}
