import { usageError } from '../errors.js';
import { indexRanges } from '../runners/array-chunks.js';
import { submit as submitLib } from '../submit/submit-plan.js';
import { shellQuote } from '../util/shell-quote.js';
import { partitionsArg } from './generate-script.js';
import { note, printJson } from './output.js';
import type { RunnerFlags } from './runner-flags.js';

interface Options extends RunnerFlags {
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  wait?: boolean;
  waitWhenStuck?: boolean;
  timeout?: string;
  interval: string;
  batchSize?: string;
}

export default async function submit(
  planDir: string,
  nArg: string | undefined,
  opts: Options,
): Promise<number> {
  for (const [given, flag] of [
    [opts.waitWhenStuck, '--wait-when-stuck'],
    [opts.timeout !== undefined, '--timeout'],
  ] as const)
    if (given && !opts.wait)
      throw usageError(
        `${flag} goes with --wait`,
        `Add --wait, or wait later: batchplan wait <plan> ${flag}${flag === '--timeout' ? ' 2h' : ''}.`,
      );
  const r = await submitLib(planDir, partitionsArg(planDir, nArg, opts), opts, {
    dryRun: opts.dryRun,
    force: opts.force,
  });
  if ('nothingToDo' in r) {
    if (opts.json) printJson({ nothingToDo: true, dryRun: r.dryRun, stages: r.stages, jobIds: [] });
    else note(`nothing to do: every task of ${planDir} has succeeded; nothing was submitted`);
    return 0;
  }
  if (r.skipped.length && !opts.json)
    note(`not submitting stage ${r.skipped.join(', ')}: every task of it has succeeded`);
  if (r.live.length && !opts.json)
    note(
      `not submitting again what is queued or running already: ${r.live.map((j) => `job ${j.jobId} (stage ${j.stage}, partition${j.partitions.length > 1 ? 's' : ''} ${indexRanges(j.partitions)})`).join(', ')}; what follows those stages waits for them`,
    );
  if (r.dryRun) {
    if (opts.json)
      printJson({
        dryRun: true,
        dir: r.dir,
        files: r.files,
        commands: r.commands,
        skipped: r.skipped,
        live: r.live,
      });
    else {
      process.stdout.write(`# would write ${r.files.length} file(s) to ${r.dir}: ${r.files.join(', ')}\n`);
      for (const a of r.commands) process.stdout.write(a.map(shellQuote).join(' ') + '\n');
    }
    return 0;
  }
  const { runner, n, stages, jobIds, scripts, record, skipped, live } = r;
  // With --wait, --json is the final status (one JSON document on stdout), as `wait --json`.
  if (opts.json && !opts.wait) printJson({ runner, n, stages, jobIds, scripts, record, skipped, live });
  else
    note(
      `submitted ${jobIds.length} job(s) (${jobIds.join(', ')}) for ${stages.map((s) => `${s.name}: ${s.submitted < s.partitions ? `${s.submitted} of ` : ''}${s.partitions} partition(s)`).join(', ')}; scripts in ${scripts}`,
    );
  if (opts.wait) {
    const { default: wait } = await import('./wait.js');
    // The same waiting as `batchplan wait`, with the same flags.
    const { interval, timeout, waitWhenStuck, json } = opts;
    return wait(planDir, { interval, json, waitWhenStuck, ...(timeout !== undefined ? { timeout } : {}) });
  }
  return 0;
}
