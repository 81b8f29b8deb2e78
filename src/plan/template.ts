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

/** How command templates are compiled: strict (an undefined `{{name}}` throws), values as written. */
export const TEMPLATE_OPTIONS = { strict: true, noEscape: true } as const;

/** The helpers of command templates; `source` lets `{{q}}` quote itself in its error. */
export function taskHelpers(source: string) {
  return { q: quoteHelper(source), eq: eqHelper };
}

// One rendering path (docs/contributing.md, "Command templates"). Handlebars parses every template,
// here and nowhere else (hb.parse: its grammar, with whitespace control, comments and `\{{` already
// applied), and that AST is compiled once, into one of two forms:
// - a template made only of text, `{{name}}`, `{{@index}}`, `{{q name}}` and `{{#if}}…{{else}}…{{/if}}`
//   blocks (of these) whose test is a variable or `(eq x y)` of variables and literals (the priority
//   idiom) compiles to its parts, and a task renders by concatenating them (a tenth of Handlebars' cost per task: Handlebars' runtime
//   sets up its helpers and data frame on every call, 1.8 of the 3.1 s of a million-task plan when
//   every task took it);
// - any other statement (another block, a path such as `this.a` or `../a`, a subexpression, a partial, an
//   unknown or built-in helper, a name that is a helper) leaves the whole template to Handlebars'
//   compiled form.
// A part covers only a value that is an own string, number or boolean; a task with any other (missing,
// null, a list, an object, an inherited name such as `toString`) is rendered by Handlebars, so its
// text, or its strict-mode error, is Handlebars' own. The parts thus decide nothing Handlebars would
// decide differently: `'' + value` (or `{{q}}`'s own shellQuote) of a value Handlebars' lookup returns
// unchanged, and a block's branch chosen by Handlebars' own `if` helper on the template's own `eq`. test/plan/template-render.test.ts renders random and hostile templates both through
// this path and through Handlebars alone: the same text or the same error.

/** Compile a command template (`{{q x}}` and `{{eq a b}}` helpers; `@index` is the task's index). */
export function compileTaskTemplate(source: string): TaskTemplate {
  const ast = hb.parse(source); // compile() is lazy: a syntax error would otherwise surface at the first render.
  const render = hb.compile(source, TEMPLATE_OPTIONS);
  const helpers = taskHelpers(source);
  const handlebars: TaskTemplate = (vars, index) => render(vars, { data: { index }, helpers });
  const parts = templateParts(ast, helpers);
  return parts ? partsTemplate(parts, handlebars) : handlebars;
}

/** Whether tasks of `source` render from its compiled parts (when their values are ones the parts cover). */
export function rendersFromParts(source: string): boolean {
  return templateParts(hb.parse(source), taskHelpers(source)) !== undefined;
}

/**
 * What the parts are: text, `{{@index}}`, a variable (shell-quoted for `{{q name}}`), or an
 * `{{#if test}}…{{else}}…{{/if}}` whose test is a variable or `(eq x y)` of variables and literals.
 */
type Part = string | typeof INDEX | Variable | IfBlock;
interface Variable {
  kind: 'value';
  name: string;
  quote?: boolean;
}
type Operand = Variable | { kind: 'literal'; value: string | number | boolean };
interface IfBlock {
  kind: 'if';
  test: Operand | { kind: 'eq'; a: Operand; b: Operand };
  then: Part[];
  else: Part[];
}
const INDEX = Symbol('@index');

interface PathNode {
  type: string;
  original: string;
  parts: string[];
  data: boolean;
  depth: number;
}
interface Node {
  type: string;
  value?: unknown;
  path?: PathNode;
  params?: Node[];
  hash?: unknown;
  program?: { body: Node[]; blockParams?: string[] };
  inverse?: { body: Node[]; blockParams?: string[] };
}

function templateParts(ast: { body: Node[] }, helpers: Record<string, unknown>): Part[] | undefined {
  const helperNames = new Set([...Object.keys(hb.helpers), ...Object.keys(helpers)]);
  /** The name of a plain one-segment path (`a` or `[a]`; not `this.a`, `../a`, `a.b`, `@x`, a helper). */
  const plainName = (path: Node | PathNode | undefined): string | undefined => {
    const p = path as PathNode | undefined;
    if (p?.type !== 'PathExpression' || p.data || p.depth !== 0 || p.parts.length !== 1) return undefined;
    const name = p.parts[0]!;
    return p.original === name && !helperNames.has(name) ? name : undefined;
  };
  const isPath = (p: PathNode | undefined, original: string) =>
    p?.type === 'PathExpression' && p.original === original;
  const operand = (node: Node | undefined): Operand | undefined => {
    const name = plainName(node);
    if (name !== undefined) return { kind: 'value', name };
    const literal = ['StringLiteral', 'NumberLiteral', 'BooleanLiteral'].includes(node?.type ?? '');
    return literal ? { kind: 'literal', value: node!.value as string | number | boolean } : undefined;
  };
  const test = (node: Node | undefined): IfBlock['test'] | undefined => {
    if (node?.type !== 'SubExpression') return operand(node);
    if (!isPath(node.path, 'eq') || node.hash || node.params?.length !== 2) return undefined;
    const [a, b] = [operand(node.params[0]), operand(node.params[1])];
    return a && b ? { kind: 'eq', a, b } : undefined;
  };
  const ifBlock = (node: Node): IfBlock | undefined => {
    const { program, inverse } = node;
    if (!isPath(node.path, 'if') || node.hash || node.params?.length !== 1 || !program) return undefined;
    if (program.blockParams?.length || inverse?.blockParams?.length) return undefined;
    const [cond, then, otherwise] = [test(node.params[0]), body(program.body), body(inverse?.body ?? [])];
    return cond && then && otherwise ? { kind: 'if', test: cond, then, else: otherwise } : undefined;
  };
  const body = (nodes: Node[]): Part[] | undefined => {
    const parts: Part[] = [];
    for (const node of nodes) {
      if (node.type === 'ContentStatement') {
        if (node.value) parts.push(node.value as string); // Handlebars appends no empty text either
        continue;
      }
      if (node.type === 'CommentStatement') continue;
      if (node.type === 'BlockStatement') {
        const block = ifBlock(node);
        if (!block) return undefined;
        parts.push(block);
        continue;
      }
      if (node.type !== 'MustacheStatement' || node.hash) return undefined;
      const params = node.params ?? [];
      if (params.length === 0 && node.path?.data && isPath(node.path, '@index')) {
        parts.push(INDEX);
        continue;
      }
      const quote = params.length === 1 && isPath(node.path, 'q');
      const name = quote ? plainName(params[0]) : params.length === 0 ? plainName(node.path) : undefined;
      if (name === undefined) return undefined;
      parts.push({ kind: 'value', name, quote });
    }
    return parts;
  };
  return body(ast.body);
}

/** A task's value the parts do not cover: the task is Handlebars'. */
const UNCOVERED = Symbol('uncovered');
type Value = string | number | boolean | typeof UNCOVERED;

function valueOf(operand: Operand, vars: Record<string, unknown>): Value {
  if (operand.kind === 'literal') return operand.value;
  const value = Object.hasOwn(vars, operand.name) ? vars[operand.name] : undefined;
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' ? (value as string) : UNCOVERED;
}

// Handlebars' own `if` (its truthiness) and the template's own `eq` decide a block, called as
// Handlebars calls them; the options say which branch, never render it.
const ifHelper = hb.helpers.if as (this: unknown, cond: unknown, options: object) => boolean;
const BRANCH = { hash: {}, fn: () => true, inverse: () => false };

function renderParts(parts: Part[], vars: Record<string, unknown>, index: number): string | typeof UNCOVERED {
  let out = '';
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    if (typeof part === 'string') out += part;
    else if (part === INDEX) out += index;
    else if (part.kind === 'value') {
      const value = valueOf(part, vars);
      if (value === UNCOVERED) return UNCOVERED;
      out += part.quote ? shellQuote(String(value)) : (value as string);
    } else {
      const t = part.test;
      let cond: Value;
      if (t.kind !== 'eq') cond = valueOf(t, vars);
      else {
        const [a, b] = [valueOf(t.a, vars), valueOf(t.b, vars)];
        cond = a === UNCOVERED || b === UNCOVERED ? UNCOVERED : eqHelper(a, b, {});
      }
      if (cond === UNCOVERED) return UNCOVERED;
      const text = renderParts(ifHelper.call(vars, cond, BRANCH) ? part.then : part.else, vars, index);
      if (text === UNCOVERED) return UNCOVERED;
      out += text;
    }
  }
  return out;
}

function partsTemplate(parts: Part[], handlebars: TaskTemplate): TaskTemplate {
  return (vars, index) => {
    const out = renderParts(parts, vars, index);
    return out === UNCOVERED ? handlebars(vars, index) : out;
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
