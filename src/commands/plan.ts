import { resolve } from 'node:path';
import { writeSpecPlan } from './compile-spec.js';
import { loadSpecFile } from '../spec/load.js';
import { usageError } from '../errors.js';
import { optionalPositiveInt } from './args.js';
import { note, plural, printJson, table } from './output.js';
import type { LoadedSpec, SpecFormat } from '../spec/load.js';
import type { PlanFile } from '../plan/format-schema.js';

interface Options {
  output: string;
  force?: boolean;
  format?: SpecFormat;
  json?: boolean;
  skipFailures?: boolean;
  maxJobs?: string;
  maxTasks?: string;
}

export default async function plan(spec: string, opts: Options): Promise<number> {
  const { loaded, maxTasks } = loadPlanSpec(spec, opts);
  const file = await writeSpecPlan(loaded, opts.output, opts.force ?? false, { maxTasks });
  printPlanSummary(resolve(opts.output), file, opts.json);
  return 0;
}

/** The spec as `plan` reads it (also for `plan --remote`, which reads it here too). */
export function loadPlanSpec(
  spec: string,
  opts: Omit<Options, 'output'>,
): { loaded: LoadedSpec; maxTasks?: number } {
  const maxJobs = optionalPositiveInt('--max-jobs', opts.maxJobs);
  const maxTasks = optionalPositiveInt('--max-tasks', opts.maxTasks);
  const loaded = loadSpecFile(spec, {
    format: opts.format,
    saturn: { skipFailures: opts.skipFailures, ...(maxJobs !== undefined ? { maxJobs } : {}) },
  });
  if ((opts.skipFailures || maxJobs !== undefined) && loaded.format !== 'saturn')
    throw usageError('--skip-failures and --max-jobs apply to a Saturn batch file only');
  for (const w of loaded.warnings ?? []) note(`warning: ${w}`);
  return { loaded, ...(maxTasks !== undefined ? { maxTasks } : {}) };
}

/** The summary `plan` prints (also for a plan written on a remote host). */
export function printPlanSummary(dir: string, file: PlanFile, json?: boolean): void {
  if (json) {
    printJson({
      plan: dir,
      totalTasks: file.totalTasks,
      stages: file.stages.map((s) => ({
        name: s.name,
        tasks: s.tasks,
        ...(s.partitions ? { partitions: s.partitions } : {}),
        after: s.after,
      })),
    });
  } else {
    process.stdout.write(
      `plan ${dir}: ${plural(file.stages.length, 'stage')}, ${plural(file.totalTasks, 'task')}\n`,
    );
    // A partitions column only when a stage sets its own count (the others take N: '-').
    const own = file.stages.some((s) => s.partitions);
    process.stdout.write(
      table(
        ['stage', 'tasks', ...(own ? ['partitions'] : []), 'after'],
        file.stages.map((s) => [
          s.name,
          s.tasks,
          ...(own ? [s.partitions ?? '-'] : []),
          s.after.join(', ') || '-',
        ]),
      ),
    );
  }
}
