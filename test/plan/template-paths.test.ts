// Command templates render on two paths: plain `{{name}}`/`{{@index}}` templates by concatenating
// the parts Handlebars' own parser produced (src/plan/template.ts: the fast path, about ten times
// cheaper per task), everything else by Handlebars. This proves they cannot disagree: templates
// assembled at random (seeded) from every construct a command template can hold, rendered with
// values of every kind, give the same text, or the same error, on both paths.
import { describe, expect, it } from 'vitest';
import { compileTaskTemplate } from '../../src/plan/template.js';

/** A small seeded PRNG (mulberry32), so that a failure is reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every kind of piece: text (shell characters, braces, an escaped mustache, non-ASCII), plain
// variables with whitespace control and triple braces, @index, comments, paths Handlebars resolves
// itself (this.a, [a], ../, lookup), the q and eq helpers, block helpers, a builtin helper's name
// used as a variable, and a variable no task defines.
const PIECES = [
  'run ',
  ' ',
  '\n',
  `<&"'>`,
  '$HOME `x` ;',
  '{ } }',
  '\\{{a}}',
  'ü→',
  '{{a}}',
  '{{ b }}',
  '{{~a~}}',
  '{{~ b}}',
  '{{{a}}}',
  '{{@index}}',
  '{{! note }}',
  '{{!-- {{a}} --}}',
  '{{this.a}}',
  '{{[a]}}',
  '{{q a}}',
  '{{q b}}',
  '{{eq a b}}',
  '{{#if a}}[{{b}}]{{else}}none{{/if}}',
  '{{#each xs}}{{this}}{{@index}},{{/each}}',
  '{{#with o}}{{k}}{{/with}}',
  '{{lookup this "a"}}',
  '{{log}}',
  '{{if}}',
  '{{c}}',
];
/** The pieces of templates the fast path renders (text, plain variables, @index, comments). */
const PLAIN = new Set(PIECES.slice(0, 16));
const VALUES: unknown[] = [
  'v',
  '',
  'a b',
  `<&"'>`,
  '$(x)',
  0,
  7,
  -1.5,
  1e21,
  true,
  false,
  null,
  [1, 2],
  { k: 1 },
];

function outcome(render: () => string): string {
  try {
    return `ok:${render()}`;
  } catch (e) {
    return `error:${(e as Error).message}`;
  }
}

describe('command templates: the fast path and Handlebars agree', () => {
  it('on 400 random templates of every construct, with values of every kind', () => {
    const random = rng(20261202);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    let fastTaken = 0;
    for (let t = 0; t < 400; t++) {
      const pieces = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(PIECES));
      const source = pieces.join('');
      const plain = pieces.every((p) => PLAIN.has(p));
      const fast = compileTaskTemplate(source);
      const slow = compileTaskTemplate(source, { fastPath: false });
      for (let v = 0; v < 8; v++) {
        const vars: Record<string, unknown> = {};
        if (random() < 0.9) vars.a = pick(VALUES);
        if (random() < 0.9) vars.b = pick(VALUES);
        if (random() < 0.5) vars.xs = [pick(VALUES), pick(VALUES)];
        if (random() < 0.5) vars.o = { k: pick(VALUES) };
        const index = Math.floor(random() * 100);
        const a = outcome(() => fast(vars, index));
        expect(a, `${JSON.stringify(source)} with ${JSON.stringify(vars)} at ${index}`).toBe(
          outcome(() => slow(vars, index)),
        );
        if (plain && a.startsWith('ok:')) fastTaken++;
      }
    }
    // The comparison covered the fast path itself, not only templates it hands to Handlebars.
    expect(fastTaken).toBeGreaterThan(150);
  });

  it('an own property only: a name from Object.prototype is not a value', () => {
    for (const source of ['{{toString}}', '{{constructor}} x', '{{hasOwnProperty}}'])
      expect(
        outcome(() => compileTaskTemplate(source)({}, 0)),
        source,
      ).toBe(outcome(() => compileTaskTemplate(source, { fastPath: false })({}, 0)));
  });
});
