// The one directives contract of every scheduler runner, so that the same spec means the same thing
// whatever the scheduler:
// - verbatim args (`resources.<runner>.args`, `--sbatch-arg` …): each item is one argument word,
//   quoted as one word by the one quoting helper. An option and its value are two items
//   (`[-l, place=excl]`) or one word (`--mail-type=FAIL`); all of them go on one directive line
//   (or, for Grid Engine, whose directive parser drops quotes, on qsub's command line).
// - GPUs: `gpus` is what one partition gets, `gpus_per_task` the same for one array element (a
//   partition is one scheduler task); giving both with different values is an error.
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { shellQuote } from '../util/shell-quote.js';

/** The runner's verbatim args as argument words (refusing a line break, which would end a directive). */
export function argWords(r: Resources, runner: string): string[] {
  const words = r.runners?.[runner]?.args ?? [];
  for (const w of words)
    if (/[\n\r]/.test(w))
      throw usageError(
        `a ${runner} argument contains a line break: ${JSON.stringify(w)}`,
        'Each item of the args is one argument word; give an option and its value as two items.',
      );
  return words;
}

/** The verbatim args as the text of one directive line (`#SBATCH <this>`), or none. */
export function argsDirective(r: Resources, runner: string): string[] {
  const words = argWords(r, runner);
  return words.length ? [words.map(shellQuote).join(' ')] : [];
}

/** GPUs one partition asks for (see above), or undefined. */
export function partitionGpus(r: Resources): number | undefined {
  if (r.gpus !== undefined && r.gpusPerTask !== undefined && r.gpus !== r.gpusPerTask)
    throw usageError(
      `gpus (${r.gpus}) and gpus_per_task (${r.gpusPerTask}) disagree: a partition is one task`,
      'Give one of them (or the same number for both).',
    );
  return r.gpus ?? r.gpusPerTask;
}
