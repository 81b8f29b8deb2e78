// Handlebars command templates for parameter sweeps. Values are inserted as written (noEscape);
// `{{q value}}` shell-quotes one. Strict: a variable the params or matrix do not define throws.
import Handlebars from 'handlebars';
import { shellQuote } from '../util/shell-quote.js';

const hb = Handlebars.create();
hb.registerHelper('q', (value: unknown) => shellQuote(String(value)));

export type TaskTemplate = (vars: Record<string, unknown>, index: number) => string;

export function compileTaskTemplate(source: string): TaskTemplate {
  const render = hb.compile(source, { strict: true, noEscape: true });
  return (vars, index) => render(vars, { data: { index } });
}
