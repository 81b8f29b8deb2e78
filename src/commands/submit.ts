import { submit as submitLib } from '../submit/submit-plan.js';
import { shellQuote } from '../util/shell-quote.js';
import { note, printJson } from './output.js';
import type { RunnerFlags } from './runner-flags.js';

interface Options extends RunnerFlags {
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  wait?: boolean;
  interval: string;
}

export default async function submit(planDir: string, nArg: string, opts: Options): Promise<number> {
  const r = await submitLib(planDir, nArg, opts, { dryRun: opts.dryRun, force: opts.force });
  if (r.dryRun) {
    if (opts.json) printJson({ dryRun: true, dir: r.dir, files: r.files, commands: r.commands });
    else {
      process.stdout.write(`# would write ${r.files.length} file(s) to ${r.dir}: ${r.files.join(', ')}\n`);
      for (const a of r.commands) process.stdout.write(a.map(shellQuote).join(' ') + '\n');
    }
    return 0;
  }
  const { runner, n, stages, jobIds, scripts, record } = r;
  // With --wait, --json is the final status (one JSON document on stdout), as `wait --json`.
  if (opts.json && !opts.wait) printJson({ runner, n, stages, jobIds, scripts, record });
  else
    note(
      `submitted ${jobIds.length} job(s) (${jobIds.join(', ')}) for ${stages.map((s) => `${s.name}: ${s.partitions} partition(s)`).join(', ')}; scripts in ${scripts}`,
    );
  if (opts.wait) {
    const { default: wait } = await import('./wait.js');
    return wait(planDir, { interval: opts.interval, json: opts.json });
  }
  return 0;
}
