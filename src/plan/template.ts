// Handlebars command templates for parameter sweeps. Values are inserted as written (noEscape);
// `{{q value}}` shell-quotes one. Strict: a variable the params or matrix do not define throws.
import { didYouMean } from '../util/did-you-mean.js';
import { shellQuote } from '../util/shell-quote.js';
import { textHandlebars } from '../util/text-handlebars.js';

// Values join as text (text-handlebars.ts), as in the runner templates.
const hb = textHandlebars();

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

/** `{{#if (eq group 7)}}…{{/if}}`: values compared as text, as `requires` matches them. */
function eqHelper(...args: unknown[]): boolean {
  args.pop();
  return args.length === 2 && String(args[0]) === String(args[1]);
}

/** `fastPath: false` renders every task through Handlebars (tests compare the two paths). */
export function compileTaskTemplate(source: string, { fastPath = true } = {}): TaskTemplate {
  const ast = hb.parse(source); // compile() is lazy: a syntax error would otherwise surface at the first render.
  const render = hb.compile(source, { strict: true, noEscape: true });
  const helpers = { q: quoteHelper(source), eq: eqHelper };
  const handlebars: TaskTemplate = (vars, index) => render(vars, { data: { index }, helpers });
  if (!fastPath) return handlebars;
  const parts = plainParts(ast, new Set([...Object.keys(hb.helpers), ...Object.keys(helpers)]));
  return parts ? plainTemplate(parts, handlebars) : handlebars;
}

// Fast path (performance): most sweep templates are text with plain `{{name}}` and `{{@index}}`
// substitutions. Rendering them through Handlebars took 1.8 of the 3.1 s of a million-task compile
// (many small objects per task); concatenating the parts takes about a twelfth of that (1M renders of
// a three-variable template: 1.37 s of CPU against 0.11 s). That is why both paths stay; the fast path is
// taken only where its output is exactly Handlebars' own: the parts come from Handlebars' parser
// (whitespace control and comments already applied), names that are helpers are left to
// Handlebars, and a task whose value is not an own string, number or boolean (missing, null, a list
// …) is rendered by Handlebars, so strict mode's errors and every edge case stay Handlebars'.
// test/plan/template-paths.test.ts proves both paths agree: random templates of every construct,
// values of every kind, the same text or the same error.

/** A literal, a variable name, or INDEX for `{{@index}}`. */
type Part = string | { name: string } | typeof INDEX;
const INDEX = Symbol('@index');

interface Node {
  type: string;
  value?: string;
  path?: { type: string; original: string; parts: string[]; data: boolean; depth: number };
  params?: unknown[];
  hash?: unknown;
}

function plainParts(ast: { body: Node[] }, helperNames: Set<string>): Part[] | undefined {
  const parts: Part[] = [];
  for (const node of ast.body) {
    if (node.type === 'ContentStatement') {
      if (node.value) parts.push(node.value); // Handlebars appends no empty text either
    } else if (node.type === 'CommentStatement') continue;
    else if (node.type !== 'MustacheStatement') return undefined;
    else {
      const path = node.path;
      if (path?.type !== 'PathExpression' || node.params?.length || node.hash) return undefined;
      // `this`, `this.x`, `../x`, `a.b`, `[a]`: Handlebars. (`@index` is original '@index'.)
      const plain = (path.data ? '@' : '') + path.parts.join('.');
      if (path.depth !== 0 || path.parts.length !== 1 || path.original !== plain) return undefined;
      const name = path.parts[0]!;
      if (path.data) {
        if (name !== 'index') return undefined;
        parts.push(INDEX);
      } else if (helperNames.has(name)) return undefined;
      else parts.push({ name });
    }
  }
  return parts;
}

function plainTemplate(parts: Part[], handlebars: TaskTemplate): TaskTemplate {
  return (vars, index) => {
    let out = '';
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      let value: unknown;
      if (typeof part === 'string') value = part;
      else if (part === INDEX) value = index;
      else {
        value = Object.hasOwn(vars, part.name) ? vars[part.name] : undefined;
        const t = typeof value;
        if (t !== 'string' && t !== 'number' && t !== 'boolean') return handlebars(vars, index);
      }
      out += value as string;
    }
    return out;
  };
}

/**
 * A template error as one line that says what and where. Handlebars' own messages are multi-line
 * (a parse error) or print the variables as `[object Object]` (strict mode); `defined` are the
 * names the task has, for a did-you-mean.
 */
export function describeTemplateError(err: unknown, defined?: string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  const undef = /^"(.+)" not defined in .* - (\d+):(\d+)$/.exec(message);
  if (undef) {
    const [, name, line, col] = undef;
    const hint = defined ? didYouMean(name!, defined).replace(/^ \((.*)\)$/, '$1') : '';
    const have = defined ? `it defines: ${defined.length ? defined.join(', ') : 'nothing'}` : '';
    const notes = [hint, have].filter(Boolean).join(' ');
    return `{{${name}}} at line ${line}, column ${Number(col) + 1}${notes ? ` (${notes})` : ''}`;
  }
  const parse = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n(.*)$/s.exec(message);
  if (parse) {
    const [, line, near, dashes, expecting] = parse;
    const got = /got '([^']+)'/.exec(expecting!)?.[1];
    const what =
      got === 'EOF'
        ? 'the template ends inside a {{…}} or a block'
        : got === 'INVALID'
          ? 'an unclosed {{ or a character that cannot be there'
          : got
            ? `unexpected ${got}`
            : expecting;
    return `parse error on line ${line}, column ${dashes!.length + 1}: ${what} (near ${JSON.stringify(near)}); check that every {{ has its }} and every {{#block}} its {{/block}}`;
  }
  return message.split('\n').join(' ');
}
