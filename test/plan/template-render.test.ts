// Command templates have one rendering path (src/plan/template.ts): Handlebars parses the template and
// its AST compiles once, to parts concatenated per task when it is text, `{{name}}`, `{{@index}}`,
// `{{q name}}` and `{{#if}}` of a variable or an `(eq …)` only, else to Handlebars' compiled form; a task whose value the parts do not cover
// goes to Handlebars too. This proves the path renders what Handlebars alone renders (the reference
// here, in the same environment and with the same helpers): random (seeded) templates of every
// construct and hostile ones, with values of every kind, give the same text or the same error.
import { describe, expect, it } from 'vitest';
import { compileTaskTemplate, rendersFromParts } from '../../src/plan/template.js';
import { handlebarsReference as reference } from './template-reference.js';

/** A small seeded PRNG (mulberry32), so that a failure is reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function outcome(render: () => string): string {
  try {
    return `ok:${render()}`;
  } catch (e) {
    return `error:${(e as Error).message}`;
  }
}

// Every kind of piece, each with whether the compiled parts cover it: text (shell characters,
// braces, escaped mustaches, non-ASCII, a line a comment or block stands alone on), plain variables
// with whitespace control and triple braces, @index, comments, `{{q name}}`, and what only Handlebars
// renders: paths (this, this.a, [a] is plain, ../, @root, a.k), subexpressions, blocks and inverse
// sections, partials, partial blocks and inline partials, decorators, raw blocks, unknown and
// built-in helpers, a helper's name used as a variable, a variable no task defines, a stray close.
const PIECES: [string, boolean][] = [
  ['run ', true],
  [' ', true],
  ['\n', true],
  [`<&"'>`, true],
  ['$HOME `x` ;', true],
  ['{ } }', true],
  ['\\{{a}}', true],
  ['\\\\{{b}}', true],
  ['ü→', true],
  ['{{a}}', true],
  ['{{ b }}', true],
  ['{{~a~}}', true],
  ['{{~ b}}', true],
  ['{{{a}}}', true],
  ['{{&b}}', true],
  ['{{[a]}}', true],
  ['{{@index}}', true],
  ['{{! note }}', true],
  ['{{!-- {{a}} --}}', true],
  ['\n  {{! alone on its line }}\n', true],
  ['{{q a}}', true],
  ['{{~q b~}}', true],
  ['{{{q a}}}', true],
  ['{{c}}', true],
  ['{{this.a}}', false],
  ['{{this}}', false],
  ['{{./b}}', false],
  ['{{../a}}', false],
  ['{{@root.b}}', false],
  ['{{@first}}', false],
  ['{{o.k}}', false],
  ['{{a.k}}', false],
  ['{{q a b}}', false],
  ['{{q "x y"}}', false],
  ['{{q ../a}}', false],
  ['{{q (eq a b)}}', false],
  ['{{eq a b}}', false],
  ['{{nope a}}', false],
  ['{{a x=1}}', false],
  ['{{#if a}}[{{b}}]{{else}}none{{/if}}', true],
  ['\n  {{#if b}}\n  yes {{a}}\n  {{/if}}\n', true],
  ['{{#if (eq a b)}}={{else}}≠{{/if}}', true],
  ['{{#if (eq a 7)}}seven{{/if}}', true],
  ['{{~#if (eq a "v")~}} {{q b}} {{~/if~}}', true],
  ['{{#if (eq b true)}}T{{@index}}{{/if}}', true],
  ['{{#if a}}{{#if (eq b 0)}}zero{{/if}}{{/if}}', true],
  ['{{#if a}}x{{else if b}}y{{else}}z{{/if}}', true],
  ['{{#if 0}}0 is true{{else}}0 is false{{/if}}', true],
  ['{{#if (eq a)}}1{{/if}}', false],
  ['{{#if (eq a null)}}N{{/if}}', false],
  ['{{#if a includeZero=true}}0{{/if}}', false],
  ['{{#if (q a)}}q{{/if}}', false],
  ['{{#if this}}t{{/if}}', false],
  ['{{#if a as |x|}}{{x}}{{/if}}', false],
  ['{{^if a}}no{{/if}}', false],
  ['{{#unless a}}u{{/unless}}', false],
  ['{{#if a}}{{this.a}}{{/if}}', false],
  ['{{^a}}no{{/a}}', false],
  ['{{#each xs}}{{this}}{{@index}}{{../b}},{{/each}}', false],
  ['{{#with o}}{{k}}{{/with}}', false],
  ['{{lookup this "a"}}', false],
  ['{{> p}}', false],
  ['{{#> p}}fallback {{a}}{{/p}}', false],
  ['{{#*inline "p"}}[{{b}}]{{/inline}}', false],
  ['{{*dec}}', false],
  ['{{{{raw}}}} {{a}} {{{{/raw}}}}', false],
  ['{{log}}', false],
  ['{{if}}', false],
  ['{{/if}}', false],
];
const VALUES: unknown[] = [
  'v',
  '',
  'a b',
  `<&"'>`,
  "it's",
  '$(x)',
  '{{b}}',
  '7',
  'true',
  0,
  7,
  -1.5,
  1e21,
  NaN,
  true,
  false,
  null,
  undefined,
  [1, 2],
  { k: 1 },
  () => 'called',
];

describe('command templates: one rendering path', () => {
  it('renders 600 random templates of every construct as Handlebars alone does, values of every kind', () => {
    const random = rng(20261202);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    let fromParts = 0;
    let templates = 0;
    for (let t = 0; t < 600; t++) {
      const pieces = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(PIECES));
      const source = pieces.map(([p]) => p).join('');
      const covered = pieces.every(([, c]) => c);
      let render: ReturnType<typeof compileTaskTemplate>;
      try {
        render = compileTaskTemplate(source);
      } catch (e) {
        // A syntax error: the same one Handlebars gives at its first render.
        expect(`error:${(e as Error).message}`, source).toBe(outcome(() => reference(source)({}, 0)));
        continue;
      }
      templates++;
      // The subset is what the pieces say: a piece outside it leaves the template to Handlebars.
      expect(rendersFromParts(source), JSON.stringify(source)).toBe(covered);
      const ref = reference(source);
      for (let v = 0; v < 8; v++) {
        const vars: Record<string, unknown> = random() < 0.2 ? Object.create(null) : {};
        if (random() < 0.9) vars.a = pick(VALUES);
        if (random() < 0.9) vars.b = pick(VALUES);
        if (random() < 0.5) vars.xs = [pick(VALUES), pick(VALUES)];
        if (random() < 0.5) vars.o = { k: pick(VALUES) };
        const index = Math.floor(random() * 100);
        const got = outcome(() => render(vars, index));
        expect(got, `${JSON.stringify(source)} with ${String(JSON.stringify(vars))} at ${index}`).toBe(
          outcome(() => ref(vars, index)),
        );
        if (covered && got.startsWith('ok:')) fromParts++;
      }
    }
    // Both forms were compared, not only templates the parts hand to Handlebars.
    expect(templates).toBeGreaterThan(400);
    expect(fromParts).toBeGreaterThan(100);
  });

  // Each states what Handlebars does with it; the one path must do the same (text or error).
  const vars = { a: 'v', b: 2, n: null, xs: [1, 2], o: { k: 'K' }, s: 'a b' };
  it.each<[string, boolean, string]>([
    ['{{nope a}}', false, 'error:"nope" not defined in [object Object] - 1:2'],
    ['{{nope}}', true, 'error:"nope" not defined in [object Object] - 1:2'],
    ['{{#> p}}fallback {{a}}{{/p}}', false, 'ok:fallback v'],
    ['{{> p}}', false, 'error:The partial p could not be found'],
    ['{{#*inline "p"}}[{{a}}]{{/inline}}{{> p}}', false, 'ok:[v]'],
    ['x {{~a~}} y {{~ q s}}', true, "ok:xvy'a b'"],
    ['{{{a}}}<{{{q s}}}>{{&b}}', true, "ok:v<'a b'>2"],
    ['\\{{a}} {{b}} \\\\{{a}}', true, 'ok:{{a}} 2 \\v'],
    ['{{q (eq a b)}} {{q (eq b 2)}}', false, 'ok:false true'],
    ['{{q (nope a)}}', false, 'error:"nope" not defined in [object Object] - 1:5'],
    ['{{@index}}:{{a}}', true, 'ok:3:v'],
    ['{{this.a}} {{this}}', false, 'ok:v [object Object]'],
    ['{{#each xs}}{{this}}{{../a}}{{@index}}{{/each}}', false, 'ok:1v02v1'],
    ['{{../a}}', false, 'error:"a" not defined in undefined - 1:2'],
    ['{{@root.a}} {{o.k}}', false, 'ok:v K'],
    ['{{{{raw}}}} {{a}} {{{{/raw}}}}', false, 'error:"raw" not defined in [object Object] - 1:4'],
    ['{{q n}}|{{n}}|', true, 'ok:null||'],
    [
      '{{q missing}}',
      true,
      'error:{{q missing}} needs exactly one defined value, got an undefined one - 1:0',
    ],
    ['a\n  {{! a comment alone on its line }}\n{{b}}', true, 'ok:a\n2'],
    // The priority idiom (docs/dependencies.md): nested blocks of (eq …) against literals.
    ['{{#if (eq a "v")}}{{#if (eq b 2)}}10{{/if}}{{/if}}', true, 'ok:10'],
    ['{{#if (eq b 3)}}10{{else if a}}{{q s}}{{else}}0{{/if}}', true, "ok:'a b'"],
    ['{{#if n}}y{{else}}no{{/if}}', true, 'ok:no'],
    ['{{#if (eq n null)}}y{{/if}}', false, 'ok:y'],
    ['{{#if}}x{{/if}}', false, 'error:#if requires exactly one argument'],
  ])('%j (compiled parts: %s) renders %j', (source, parts, expected) => {
    expect(rendersFromParts(source)).toBe(parts);
    expect(outcome(() => compileTaskTemplate(source)(vars, 3))).toBe(expected);
    expect(outcome(() => reference(source)(vars, 3))).toBe(expected);
  });

  it('an own property only: a name from Object.prototype is not a value', () => {
    for (const source of ['{{toString}}', '{{constructor}} x', '{{hasOwnProperty}}', '{{q toString}}'])
      expect(
        outcome(() => compileTaskTemplate(source)({}, 0)),
        source,
      ).toBe(outcome(() => reference(source)({}, 0)));
    // A value inherited through a prototype (possible from the API): Handlebars denies it.
    const inherited = Object.create({ a: 'inherited' }) as Record<string, unknown>;
    for (const source of ['[{{a}}]', '{{q a}}'])
      expect(
        outcome(() => compileTaskTemplate(source)(inherited, 0)),
        source,
      ).toBe(outcome(() => reference(source)(inherited, 0)));
    const own = JSON.parse('{"__proto__": "p", "constructor": "c"}') as Record<string, unknown>;
    for (const source of ['{{__proto__}} {{constructor}}', '{{q __proto__}}'])
      expect(
        outcome(() => compileTaskTemplate(source)(own, 0)),
        source,
      ).toBe(outcome(() => reference(source)(own, 0)));
  });
});
