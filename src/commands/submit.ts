import { submit as submitLib } from '../submit/submit-plan.js';
import { shellQuote } from '../util/shell-quote.js';
import { note, printJson } from './output.js';
import type { RunnerFlags } from './runner-flags.js';

interface Options extends RunnerFlags {
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
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
  if (opts.json) printJson({ runner, n, stages, jobIds, scripts, record });
  else
    note(
      `submitted ${jobIds.length} job(s) (${jobIds.join(', ')}) for ${stages.map((s) => `${s.name}: ${s.partitions} partition(s)`).join(', ')}; scripts in ${scripts}`,
    );
  return 0;
}
