// `batchplan add <plan> <spec>`: append the spec's stages to the plan as a new generation
// (src/plan/add.ts); then `submit`/`run` take up only what is left, which is the new stages.
import { resolve } from 'node:path';
import { addToPlan } from '../plan/add.js';
import { VERSION } from '../version.js';
import { loadPlanSpec } from './plan.js';
import { plural, printJson, table } from './output.js';
import type { SpecFormat } from '../spec/load.js';

interface Options {
  format?: SpecFormat;
  maxTasks?: string;
  json?: boolean;
}

export default async function add(planDir: string, spec: string, opts: Options): Promise<number> {
  const { loaded, maxTasks } = loadPlanSpec(spec, { format: opts.format, maxTasks: opts.maxTasks });
  const r = await addToPlan(planDir, loaded, { batchplanVersion: VERSION }, { maxTasks });
  const dir = resolve(planDir);
  if (opts.json) {
    printJson({
      plan: dir,
      generation: r.generation,
      totalTasks: r.file.totalTasks,
      stages: r.stages.map((s) => ({ name: s.name, tasks: s.tasks, after: s.after })),
    });
    return 0;
  }
  process.stdout.write(
    `plan ${dir}: added ${plural(r.stages.length, 'stage')}, ${plural(
      r.stages.reduce((n, s) => n + s.tasks, 0),
      'task',
    )} (generation ${r.generation}); ${plural(r.file.totalTasks, 'task')} in all\n`,
  );
  process.stdout.write(
    table(
      ['stage', 'tasks', 'after'],
      r.stages.map((s) => [s.name, s.tasks, s.after.join(', ') || '-']),
    ),
  );
  return 0;
}
