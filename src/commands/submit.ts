import { EXIT_CODES, usageError } from '../errors.js';
import { readPlan, type Plan } from '../plan/read.js';
import { indexRanges } from '../runners/array-chunks.js';
import { loadPlanStatus, summarize } from '../status/plan-status.js';
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

/** Stages with a task not succeeded, by name: those submit skipped had failures left alone. */
function failedLeftOf(plan: Plan): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of summarize(plan, loadPlanStatus(plan))) if (s.succeeded < s.total) out.set(s.name, s.failed);
  return out;
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
  // With --skip-failures (or skip_failures), a stage not submitted may have failed tasks left alone;
  // without, it had none. The journals are read again only then (a million tasks: seconds).
  const plan = readPlan(planDir);
  const leaving = opts.skipFailures || plan.file.stages.some((s) => s.skipFailures);
  const failedLeft =
    leaving && ('nothingToDo' in r || r.skipped.length) ? failedLeftOf(plan) : new Map<string, number>();
  if ('nothingToDo' in r) {
    const failed = [...failedLeft.values()].reduce((a, b) => a + b, 0);
    if (opts.json) printJson({ nothingToDo: true, dryRun: r.dryRun, stages: r.stages, jobIds: [] });
    else if (failed)
      note(
        `nothing to do: no task of ${planDir} is left to run but ${failed} failed one(s), left alone (--skip-failures); nothing was submitted. To run them again: batchplan retry ${shellQuote(planDir)}`,
      );
    else note(`nothing to do: every task of ${planDir} has succeeded; nothing was submitted`);
    // --wait's exit status, as `wait`: 0 only when every task succeeded.
    return opts.wait && failed ? EXIT_CODES.E_TASKS_FAILED : 0;
  }
  if (r.skipped.length && !opts.json) {
    const done = r.skipped.filter((s) => !failedLeft.has(s));
    const cut = r.skipped.filter((s) => failedLeft.has(s));
    if (done.length) note(`not submitting stage ${done.join(', ')}: every task of it has succeeded`);
    if (cut.length)
      note(
        `not submitting stage ${cut.join(', ')}: nothing it could run (failed tasks left alone, --skip-failures, in it or in a stage it is after)`,
      );
  }
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
