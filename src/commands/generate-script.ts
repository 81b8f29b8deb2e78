import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actualPartitions } from '../plan/partition.js';
import { readPlan, type Plan } from '../plan/read.js';
import { getRunner } from '../runners/registry.js';
import type { RenderContext, RunnerOptions } from '../runners/runner.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { shellQuote } from '../util/shell-quote.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { optionalPositiveInt, positiveInt } from './args.js';
import { note, printJson } from './output.js';
import { usageError } from '../errors.js';

interface Options {
  runner: string;
  output?: string;
  nprocs?: string;
  jobs?: string;
  batchplanCommand?: string;
  json?: boolean;
}

/** Shell code that runs this very batchplan: the node binary and the bin script, both absolute. */
export function selfCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(fileURLToPath(new URL('bin/batchplan.js', PACKAGE_ROOT)))}`;
}

/** Partition counts per stage for N: what every command that takes N reports. */
export function partitionCounts(plan: Plan, n: number) {
  return plan.file.stages.map((s, index) => ({
    name: s.name,
    index,
    tasks: s.tasks,
    partitions: actualPartitions(s.tasks, n),
    after: s.after,
  }));
}

export default async function generateScript(planDir: string, nArg: string, opts: Options): Promise<number> {
  const runner = getRunner(opts.runner);
  const n = positiveInt('N', nArg);
  const options: RunnerOptions = {};
  const nprocs = optionalPositiveInt('--nprocs', opts.nprocs);
  const jobs = optionalPositiveInt('--jobs', opts.jobs);
  if (nprocs !== undefined) options.nprocs = nprocs;
  if (jobs !== undefined) {
    if (!runner.options.includes('jobs'))
      throw usageError(`--jobs does not apply to runner '${runner.name}'`);
    options.jobs = jobs;
  }
  const plan = readPlan(planDir);
  const stages = partitionCounts(plan, n);
  const ctx: RenderContext = {
    planDir: plan.dir,
    n,
    stages,
    batchplanCommand: opts.batchplanCommand ?? selfCommand(),
    batchplanVersion: VERSION,
    options,
  };
  const files = runner.render(ctx);
  const entry = files[0]!;
  let written: string | undefined;
  if (opts.output) {
    written = resolve(opts.output);
    mkdirSync(dirname(written), { recursive: true });
    writeFileAtomic(written, entry.content);
    if (entry.executable) chmodSync(written, 0o755);
  }
  const counts = stages.map(({ name, tasks, partitions }) => ({ name, tasks, partitions }));
  if (opts.json) {
    printJson({
      runner: runner.name,
      n,
      stages: counts,
      ...(written ? { script: written } : { content: entry.content }),
    });
    return 0;
  }
  if (!written) process.stdout.write(entry.content);
  const fewer = counts.filter((s) => s.partitions < n);
  note(
    `${runner.name} script${written ? ` written to ${written}` : ''}: ` +
      counts.map((s) => `${s.name} ${s.partitions} partition${s.partitions === 1 ? '' : 's'}`).join(', ') +
      (fewer.length ? ` (fewer than ${n} where a stage has fewer tasks)` : ''),
  );
  return 0;
}
