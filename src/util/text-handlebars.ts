// The one Handlebars environment batchplan renders with (command templates and runner templates):
// values join as text. Handlebars joins a template's output parts with JavaScript's `+` and no
// leading '', so adjacent numbers at the start of a template or block added up: `{{a}}{{b}}` with 1
// and 2 rendered "3". This compiler makes every part text first (Handlebars' documented way to
// extend its compiler: a subclass that is also its own child-block compiler).
import Handlebars from 'handlebars';

type Compiler = { prototype: Record<string, unknown> } & (new (...args: unknown[]) => object);
const Base = (Handlebars as unknown as { JavaScriptCompiler: Compiler }).JavaScriptCompiler;
function TextCompiler(this: object, ...args: unknown[]) {
  Base.apply(this, args as never);
}
TextCompiler.prototype = Object.create(Base.prototype) as Record<string, unknown>;
TextCompiler.prototype.compiler = TextCompiler;
TextCompiler.prototype.appendToBuffer = function (this: object, source: unknown, ...rest: unknown[]) {
  const append = Base.prototype.appendToBuffer as (...a: unknown[]) => unknown;
  return append.call(this, ['"" + (', source, ')'], ...rest);
};

/** A fresh Handlebars environment (its own helpers and partials) whose output parts join as text. */
export function textHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  (hb as unknown as { JavaScriptCompiler: unknown }).JavaScriptCompiler = TextCompiler;
  return hb;
}
