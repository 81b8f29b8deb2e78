// What Handlebars alone renders for a command template: the whole template through the same
// environment, options and helpers as src/plan/template.ts. Tests hold the one rendering path to it.
import { taskHelpers, TEMPLATE_OPTIONS } from '../../src/plan/template.js';
import { textHandlebars } from '../../src/util/text-handlebars.js';

export function handlebarsReference(source: string) {
  const render = textHandlebars().compile(source, TEMPLATE_OPTIONS);
  const helpers = taskHelpers(source);
  return (vars: Record<string, unknown>, index: number): string => render(vars, { data: { index }, helpers });
}
