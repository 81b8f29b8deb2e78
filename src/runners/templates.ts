// Render templates/<runner>/<file>.hbs strictly; every value reaches the script through `q`.
import { readdirSync, readFileSync } from 'node:fs';
import { shellQuote } from '../util/shell-quote.js';
import { textHandlebars } from '../util/text-handlebars.js';

// The one rendering environment (values join as text), with the runner templates' helpers.
const hb = textHandlebars();
hb.registerHelper('q', (value: unknown) => {
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new Error(`q: expected a string or number, got ${typeof value}`);
  return shellQuote(String(value));
});
hb.registerHelper('add', (a: number, b: number) => a + b);
// (list "A" "B") builds an array in a template, e.g. for a partial's argument.
hb.registerHelper('list', (...args: unknown[]) => args.slice(0, -1));

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Compile a runner template's source (strict, no HTML escaping). */
export const compileTemplate = (source: string): HandlebarsTemplateDelegate =>
  hb.compile(source, { strict: true, noEscape: true });

export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

let partialsLoaded = false;

/** templates/partials/<name>.hbs, shared by several runners' templates as {{> name}}. */
function loadPartials(): void {
  const dir = new URL('partials/', TEMPLATES_DIR);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs')))
    hb.registerPartial(file.slice(0, -'.hbs'.length), readFileSync(new URL(file, dir), 'utf8'));
  partialsLoaded = true;
}

/** Render `templates/<runner>/<file>.hbs`, producing the text of `<file>`. */
export function renderTemplate(runner: string, file: string, view: object): string {
  if (!partialsLoaded) loadPartials();
  const key = `${runner}/${file}`;
  let template = cache.get(key);
  if (!template) {
    const source = readFileSync(new URL(`${key}.hbs`, TEMPLATES_DIR), 'utf8');
    template = compileTemplate(source);
    cache.set(key, template);
  }
  return template(view);
}
