// `retry` and `rerun --force`: make selected tasks pending again for the next run/submit
// (src/status/reset-tasks.ts picks them and writes the reset marker); this prints what was reset.
import { readPlan } from '../plan/read.js';
import { resetTasks } from '../status/reset-tasks.js';
import { printJson } from './output.js';

export interface RetryOptions {
  stage?: string[];
  state?: string[];
  id?: string[];
  force?: boolean;
  json?: boolean;
}

export function retryCommand(verb: 'retry' | 'rerun') {
  return async (planDir: string, opts: RetryOptions): Promise<number> => {
    const plan = readPlan(planDir);
    const r = resetTasks(plan, verb, opts);
    if (opts.json)
      printJson({
        plan: plan.dir,
        verb,
        marker: r.marker,
        resetAt: r.resetAt.toISOString(),
        tasks: r.tasks,
        stages: r.stages,
      });
    else {
      for (const p of r.stages)
        process.stdout.write(
          `${p.stage}: ${p.tasks} task${p.tasks === 1 ? '' : 's'} reset (${p.ids.join(', ')}${p.tasks > p.ids.length ? ', …' : ''})\n`,
        );
      process.stdout.write(
        `${r.tasks} task${r.tasks === 1 ? '' : 's'} will run again on the next \`batchplan run\` or \`submit\`\n`,
      );
    }
    return 0;
  };
}

export default retryCommand('retry');
