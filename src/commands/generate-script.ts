import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { readPlan, type Plan } from '../plan/read.js';
import { balanceMode } from '../exec/balance-hook.js';
import { skipFailuresBalanced } from '../exec/run-partition.js';
import { partitionsLeft } from '../submit/partitions-left.js';
import { renderContext } from '../runners/context.js';
import { loadRunner } from '../runners/registry.js';
import type { RenderContext, RenderedFile, Runner } from '../runners/runner.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { shellQuote } from '../util/shell-quote.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { positiveInt } from './args.js';
import { note, printJson } from './output.js';
import { parseRunnerFlags, type RunnerFlags } from './runner-flags.js';

interface Options extends RunnerFlags {
  output?: string;
  json?: boolean;
  batchSize?: string;
}

/**
 * N from --batch-size B (tasks per partition, as `sc split`'s): enough partitions that the largest
 * stage's hold at most B each. Without N or B, B is 3 × nprocs, `sc split`'s default. Stages that
 * set their own partition count do not count; when every stage does, N is not needed.
 */
function partitionsFor(planDir: string, opts: Pick<Options, 'batchSize' | 'nprocs'>): string {
  let size = opts.batchSize === undefined ? undefined : positiveInt('--batch-size', opts.batchSize);
  const plan = readPlan(planDir);
  const open = plan.file.stages.filter((st) => st.partitions === undefined);
  if (open.length === 0) return String(Math.max(...plan.file.stages.map((st) => st.partitions!)));
  if (size === undefined) {
    const nprocs = opts.nprocs ? positiveInt('--nprocs', opts.nprocs) : plan.file.defaults.nprocs;
    if (nprocs === undefined) {
      // Where some stages set a count, name those that do not: they are why N is needed.
      const names = open.map((st) => `'${st.name}'`).join(', ');
      const which =
        open.length === plan.file.stages.length
          ? ''
          : open.length === 1
            ? `stage ${names} sets no partition count of its own (partitions or tasks_per_partition): `
            : `stages ${names} set no partition count of their own (partitions or tasks_per_partition): `;
      throw usageError(
        `${which}give N (partitions per stage), or --batch-size B, or --nprocs P (then B = 3 × P)`,
      );
    }
    size = 3 * nprocs;
  }
  const largest = Math.max(...open.map((st) => st.tasks));
  return String(Math.max(1, Math.ceil(largest / size)));
}

/** N as given, or from --batch-size (shared with submit). */
export function partitionsArg(
  planDir: string,
  nArg: string | undefined,
  opts: Pick<Options, 'batchSize' | 'nprocs'>,
): string {
  if (nArg !== undefined && opts.batchSize !== undefined)
    throw usageError('give N or --batch-size, not both');
  return nArg ?? partitionsFor(planDir, opts);
}

/** Shell code that runs this very batchplan: the node binary and the bin script, both absolute. */
export function selfCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(fileURLToPath(new URL('bin/batchplan.js', PACKAGE_ROOT)))}`;
}

/** Build the render context for `<plan> <N>` and the runner flags (shared with submit). */
export async function contextFromFlags(
  planDir: string,
  nArg: string,
  flags: RunnerFlags,
): Promise<{ ctx: RenderContext; runner: Runner }> {
  const runner = await loadRunner(flags.runner);
  const n = positiveInt('N', nArg);
  const { options, resources } = parseRunnerFlags(runner, flags);
  const plan = readPlan(planDir);
  refuseSkipFailuresBalanced(plan, options.skipFailures === true);
  const ctx = renderContext(plan, n, {
    options,
    resources,
    batchplanCommand: flags.batchplanCommand ?? runner.remoteBatchplanCommand ?? selfCommand(),
    batchplanVersion: VERSION,
    requestsGpus: runner.resources?.includes('gpus') ?? false,
  });
  // A scheduler submits only the partitions with work left (src/runners/work-left.ts); failed
  // tasks left alone are none.
  if (runner.scheduler)
    ctx.left = partitionsLeft(
      plan,
      n,
      (k) => options.skipFailures === true || !!plan.file.stages[k]!.skipFailures,
    );
  return { ctx, runner };
}

/**
 * run-partition refuses --skip-failures (or a stage's skip_failures) in a balanced partition: refused
 * here too, before anything is written or submitted. Balanced as run-partition would decide with
 * no --balance flag: this environment's BATCHPLAN_BALANCE (scripts and jobs inherit it), else the plan's.
 */
function refuseSkipFailuresBalanced(plan: Plan, flag: boolean): void {
  for (const s of plan.file.stages)
    if ((flag || s.skipFailures) && balanceMode(undefined, process.env, s.balance))
      throw skipFailuresBalanced(s.name, flag ? 'flag' : 'spec');
}

/** Write rendered files into `dir` (created), executable where they should be. */
export function writeRendered(dir: string, files: RenderedFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const path = join(dir, f.path);
    writeFileAtomic(path, f.content);
    if (f.executable) chmodSync(path, 0o755);
    return path;
  });
}

export default async function generateScript(
  planDir: string,
  nArg: string | undefined,
  opts: Options,
): Promise<number> {
  const n = partitionsArg(planDir, nArg, opts);
  const { ctx, runner } = await contextFromFlags(planDir, n, opts);
  const files = runner.render(ctx);
  const several = files.length > 1;
  if (several && !opts.output)
    throw usageError(
      `runner '${runner.name}' renders ${files.length} files; pass -o DIR for the directory to write them to`,
    );
  let written: string[] = [];
  if (opts.output) {
    const out = resolve(opts.output);
    if (several) written = writeRendered(out, files);
    else {
      written = writeRendered(dirname(out), [{ ...files[0]!, path: out.slice(dirname(out).length + 1) }]);
    }
  }
  const counts = ctx.stages.map(({ name, tasks, partitions }) => ({ name, tasks, partitions }));
  const own = new Set(readPlan(planDir).file.stages.flatMap((s) => (s.partitions ? [s.name] : [])));
  if (opts.json) {
    const where = several
      ? { files: written }
      : written.length
        ? { script: written[0] }
        : { content: files[0]!.content };
    printJson({ runner: runner.name, n: ctx.n, stages: counts, ...where });
    return 0;
  }
  if (!written.length) process.stdout.write(files[0]!.content);
  const fewer = counts.some((s) => s.partitions < ctx.n && !own.has(s.name));
  note(
    `${runner.name}: ` +
      counts
        .map(
          (s) =>
            `${s.name} ${s.partitions} partition${s.partitions === 1 ? '' : 's'}${own.has(s.name) ? ' (its own)' : ''}`,
        )
        .join(', ') +
      (fewer ? ` (fewer than ${ctx.n} where a stage has fewer tasks)` : '') +
      (written.length
        ? `; wrote ${written.length === 1 ? written[0] : `${written.length} files to ${resolve(opts.output!)}`}`
        : ''),
  );
  return 0;
}
