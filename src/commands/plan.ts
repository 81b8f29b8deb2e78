import { resolve } from 'node:path';
import { writeSpecPlan } from './compile-spec.js';
import { loadSpecFile } from '../spec/load.js';
import { usageError } from '../errors.js';
import { optionalPositiveInt } from './args.js';
import { note, plural, printJson, table } from './output.js';
import type { SpecFormat } from '../spec/load.js';

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
  const maxJobs = optionalPositiveInt('--max-jobs', opts.maxJobs);
  const maxTasks = optionalPositiveInt('--max-tasks', opts.maxTasks);
  const loaded = loadSpecFile(spec, {
    format: opts.format,
    saturn: { skipFailures: opts.skipFailures, ...(maxJobs !== undefined ? { maxJobs } : {}) },
  });
  if ((opts.skipFailures || maxJobs !== undefined) && loaded.format !== 'saturn')
    throw usageError('--skip-failures and --max-jobs apply to a Saturn batch file only');
  for (const w of loaded.warnings ?? []) note(`warning: ${w}`);
  const file = await writeSpecPlan(loaded, opts.output, opts.force ?? false, { maxTasks });
  const dir = resolve(opts.output);
  if (opts.json) {
    printJson({
      plan: dir,
      totalTasks: file.totalTasks,
      stages: file.stages.map((s) => ({ name: s.name, tasks: s.tasks, after: s.after })),
    });
  } else {
    process.stdout.write(
      `plan ${dir}: ${plural(file.stages.length, 'stage')}, ${plural(file.totalTasks, 'task')}\n`,
    );
    process.stdout.write(
      table(
        ['stage', 'tasks', 'after'],
        file.stages.map((s) => [s.name, s.tasks, s.after.join(', ') || '-']),
      ),
    );
  }
  return 0;
}
