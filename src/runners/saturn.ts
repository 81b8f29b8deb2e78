// Saturn Cloud: one job recipe per stage (each partition one entry of the recipe's `command` list,
// run `--scale` machines at a time) and apply.sh, which applies and starts the stages' jobs in plan
// order (`sc apply <recipe> --start`, with `--sync` like `sc split`'s) and waits for each to finish
// before the next. Per-stage recipes rather than one recipe whose commands wait at a barrier: a
// barrier needs every machine to see one plan directory, and --sync gives each machine its own copy.
// Rendering only: no Saturn here; tests check golden files and the recipe schema.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { usageError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { stageResourceName } from './k8s-names.js';
import { runPartitionFlags } from './run-partition-flags.js';
import type { RenderContext, RenderedFile, RenderStage } from './runner.js';
import type { SaturnOptions } from './saturn-descriptor.js';
import { SATURN_SCHEMA_VERSION, saturnJobRecipeSchema, type SaturnJobRecipe } from './saturn-recipe.js';
import { renderTemplate } from './templates.js';

/** Saturn's default working directory for jobs. */
export const SATURN_WORKING_DIRECTORY = '/home/jovyan/workspace';
/**
 * Where apply.sh's copy of this very batchplan package lands on Saturn's machines (a --sync
 * destination, relative to the working directory): no registry is needed there, only Node.js.
 */
export const SHIPPED_PACKAGE = '.batchplan';
/** The default remote command, which means the shipped package. */
const DEFAULT_COMMAND = 'batchplan';
const BEGIN = '### BEGIN BATCHPLAN GENERATED CODE';
const END = '### END BATCHPLAN GENERATED CODE';

const stageFile = (index: number) => `stage-${index}.recipe.yaml`;

type Template = { spec: Record<string, unknown> } & Record<string, unknown>;

/** The --recipe file (YAML or JSON), whose fields we do not set are kept. */
function readTemplate(path: string | undefined): Template {
  if (!path) return { spec: {} };
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw usageError(`--recipe ${path}: ${(e as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(data)) throw usageError(`--recipe ${path}: not a recipe (a YAML or JSON object)`);
  if (data.type !== undefined && data.type !== 'job')
    throw usageError(`--recipe ${path}: a '${String(data.type)}' recipe; batchplan writes job recipes`);
  const spec = data.spec ?? {};
  if (!isObject(spec)) throw usageError(`--recipe ${path}: its spec is not an object`);
  return { ...data, spec };
}

/** Where the plan is on Saturn's machines: --shared-path, else the same path (synced there). */
export function remotePlanDir(ctx: RenderContext<SaturnOptions>): string {
  return ctx.options.sharedPath ?? ctx.planDir;
}

/** The shipped package's entry point on Saturn's machines, or undefined for a --batchplan-command. */
function shippedEntry(ctx: RenderContext<SaturnOptions>, workingDirectory: string): string | undefined {
  if (ctx.batchplanCommand !== DEFAULT_COMMAND) return undefined;
  return `${workingDirectory.replace(/\/+$/, '')}/${SHIPPED_PACKAGE}/bin/batchplan.js`;
}

/** One shell command per partition, every value quoted. */
export function partitionCommands(
  ctx: RenderContext<SaturnOptions>,
  s: RenderStage,
  workingDirectory: string,
): string[] {
  const entry = shippedEntry(ctx, workingDirectory);
  const command = entry ? `node ${shellQuote(entry)}` : ctx.batchplanCommand;
  const flags = runPartitionFlags(ctx.options);
  const args = `-- ${shellQuote(remotePlanDir(ctx))} ${shellQuote(s.name)} ${ctx.n}`;
  return Array.from({ length: s.partitions }, (_, i) => `${command} run-partition${flags} ${args} ${i}`);
}

function startScript(ctx: RenderContext<SaturnOptions>, previous: unknown, workingDirectory: string): string {
  const plan = shellQuote(remotePlanDir(ctx));
  const entry = shippedEntry(ctx, workingDirectory);
  const ours = [
    BEGIN,
    ...(entry
      ? [
          'if ! command -v node >/dev/null 2>&1; then',
          '  echo "batchplan: no node (Node.js 20 or later) on this machine: use an image that has it" >&2',
          '  exit 1',
          'fi',
          `if [ ! -f ${shellQuote(entry)} ]; then`,
          `  echo "batchplan: its package was not synced to "${shellQuote(entry)}" (run apply.sh, which ships it)" >&2`,
          '  exit 1',
          'fi',
        ]
      : []),
    `if [ ! -f ${plan}/plan.json ]; then`,
    `  echo "batchplan: no plan at "${plan}" on this machine (--sync it, or put it on --shared-path)" >&2`,
    '  exit 1',
    'fi',
    END,
  ].join('\n');
  // The template's own script first (sc apply --sync puts its copying before both).
  let before = typeof previous === 'string' ? previous : '';
  const start = before.indexOf(BEGIN);
  const end = before.indexOf(END);
  if (start >= 0 && end > start) before = before.slice(0, start) + before.slice(end + END.length + 1);
  return `${before}${before && !before.endsWith('\n') ? '\n' : ''}${ours}\n`;
}

/**
 * The user's job name (--name, else --recipe's spec.name) is kept: as it is for a one-stage plan,
 * with the stage's index after it for more. Without one, a name from the plan and stage.
 */
function jobName(ctx: RenderContext<SaturnOptions>, s: RenderStage, t: Record<string, unknown>): string {
  const own = ctx.options.name ?? (typeof t.name === 'string' && t.name ? t.name : undefined);
  if (!own) return stageResourceName(ctx.planDir, s.index, s.name, 63);
  return ctx.stages.length === 1 ? own : `${own.slice(0, 59).replace(/-+$/, '')}-${s.index}`;
}

export function stageRecipe(
  ctx: RenderContext<SaturnOptions>,
  s: RenderStage,
  template: Template,
): SaturnJobRecipe {
  const t = template.spec;
  const workingDirectory =
    typeof t.working_directory === 'string' ? t.working_directory : SATURN_WORKING_DIRECTORY;
  const image = ctx.options.image ?? t.image;
  const instanceType = ctx.options.instanceType ?? t.instance_type;
  if (typeof image !== 'string' || !image)
    throw usageError('runner saturn needs --image (or a --recipe with spec.image)');
  if (typeof instanceType !== 'string' || !instanceType)
    throw usageError('runner saturn needs --instance-type (or a --recipe with spec.instance_type)');
  const recipe = {
    ...template,
    schema_version: template.schema_version ?? SATURN_SCHEMA_VERSION,
    type: 'job',
    spec: {
      ...t,
      name: jobName(ctx, s, t),
      image,
      instance_type: instanceType,
      scale: ctx.options.scale ?? t.scale ?? 1,
      working_directory: t.working_directory ?? SATURN_WORKING_DIRECTORY,
      start_script: startScript(ctx, t.start_script, workingDirectory),
      environment_variables: t.environment_variables ?? {},
      use_spot_instance: ctx.options.spot ?? t.use_spot_instance ?? false,
      command: partitionCommands(ctx, s, workingDirectory),
    },
  };
  // Refuse to write a recipe Saturn would not take (e.g. a template with odd field types).
  const checked = saturnJobRecipeSchema.safeParse(recipe);
  if (!checked.success)
    throw usageError(
      `the Saturn recipe for stage '${s.name}' is not valid: ` +
        checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      ctx.options.recipe ? `Check the fields of --recipe ${ctx.options.recipe}.` : undefined,
    );
  return checked.data;
}

export function render(ctx: RenderContext<SaturnOptions>): RenderedFile[] {
  const template = readTemplate(ctx.options.recipe);
  const built = ctx.stages.map((s) => ({ s, recipe: stageRecipe(ctx, s, template) }));
  const recipes = built.map(({ s, recipe }) => ({
    path: stageFile(s.index),
    content:
      `# Generated by batchplan ${ctx.batchplanVersion} (runner: saturn). Stage ${s.index + 1}/${ctx.stages.length}: ` +
      `${s.tasks} task(s) in ${s.partitions} partition(s), one command each.\n` +
      stringify(recipe, { lineWidth: 0, aliasDuplicateObjects: false }),
    executable: false,
  }));
  // Directories sc apply copies to every machine: the plan itself unless it is on a shared path.
  const sync = [...(ctx.options.sharedPath ? [] : [ctx.planDir]), ...(ctx.options.sync ?? [])];
  const driver = renderTemplate('saturn', 'apply.sh', {
    version: ctx.batchplanVersion,
    stageCount: ctx.stages.length,
    syncArgs: sync.map((d) => `--sync ${shellQuote(d)}`).join(' '),
    ship: ctx.batchplanCommand === DEFAULT_COMMAND,
    shipDest: shellQuote(SHIPPED_PACKAGE),
    plan: shellQuote(ctx.planDir),
    stages: built.map(({ s, recipe }) => ({
      ...s,
      number: s.index + 1,
      job: recipe.spec.name,
      file: stageFile(s.index),
    })),
  });
  return [{ path: 'apply.sh', content: driver, executable: true }, ...recipes];
}
