// submit.sh from the submission steps (submit-steps.ts): the same commands `batchplan submit` runs,
// rendered as bash. Each word is quoted by the one quoting helper; bash fills in only the job ids it
// captures (by the scheduler's own job id rule) and, in the record, the time.
import { formatSubmission, submissionRecord } from '../submit/record.js';
import { shellQuote } from '../util/shell-quote.js';
import type { RenderContext } from './render-context.js';
import { indexRanges } from './array-chunks.js';
import {
  elementsOf,
  type Arg,
  type ArraySubmission,
  type Piece,
  type SchedulerAdapter,
  type SubmitCommand,
  type Word,
} from './scheduler.js';
import { recordEntries, submitSteps } from './submit-steps.js';
import { withWorkLeft } from './work-left.js';

const RULES = {
  one: 'exactly one non-blank line, which matches; the id is its first group',
  any: 'the first line that matches; the id is its first group',
  each: 'every non-blank line matches, one id each (its first group)',
};

const NOW_SH = '"$(date -u +%Y-%m-%dT%H:%M:%SZ)"';

/** One word for bash: literal text quoted, job ids as the variables submit.sh captured them in. */
export function bashWord(word: Word, vars: readonly string[]): string {
  return word.map((p) => bashPiece(p, vars)).join('');
}

function bashPiece(p: Piece, vars: readonly string[]): string {
  if (typeof p === 'string') return p === '' ? '' : shellQuote(p);
  if ('scripts' in p) return '"$here"';
  if ('now' in p) return NOW_SH;
  const v = p.index ? `\${${vars[p.job]}[${p.index}]}` : `\${${vars[p.job]}}`;
  if (!p.ifArray) return `"${v}"`;
  const [yes, no] = p.ifArray.map(shellQuote);
  return `"$([[ ${v} == *'[]'* ]] && echo ${yes} || echo ${no})"`;
}

function bashArg(a: Arg, vars: readonly string[]): string {
  if (!('eachJob' in a)) return bashWord(a, vars);
  // "${ids[@]/#/prefix}": the prefix before each id; it must need no quoting inside the expansion.
  if (shellQuote(a.prefix) !== a.prefix) throw new Error(`job id prefix ${a.prefix} needs quoting`);
  return `"\${${vars[a.eachJob]}[@]/#/${a.prefix}}"`;
}

/** The command line: its environment, its words, and its standard input. */
export function bashCommand(cmd: SubmitCommand, vars: readonly string[]): string {
  return [
    ...(cmd.env ?? []).map(([name, value]) => `${name}=${shellQuote(value)}`),
    ...cmd.argv.map((a) => bashArg(a, vars)),
    ...(cmd.stdin === undefined ? [] : [`< "$here"/${shellQuote(cmd.stdin)}`]),
  ].join(' ');
}

/** The partitions a submission covers, for a comment: `0..7`, or `3, 7..9` for an index list. */
function partitionsText(sub: ArraySubmission): string {
  return indexRanges(elementsOf(sub).map((e) => sub.offset + e))
    .split(',')
    .map((r) => (r.includes('-') ? r.replace('-', '..') : sub.indices ? r : `${r}..${r}`))
    .join(', ');
}

/**
 * What templates/partials/submit-steps.hbs renders: the steps, the job id rule, the cancel command and
 * (where batchplan can watch the scheduler: `record`) the submission record's words.
 */
export function submitScriptView(
  ctx: RenderContext,
  runner: string,
  scheduler: SchedulerAdapter,
  subs: readonly ArraySubmission[],
  opts: { record: boolean },
) {
  const steps = submitSteps(ctx, scheduler, withWorkLeft(ctx, scheduler, subs));
  const vars = steps.map((s, k) => `job_${s.sub.stageIndex}_${k}`);
  const placeholder = (k: number) => `@@batchplan-${k}@@`;
  const entries = recordEntries(scheduler, steps);
  const pieces: Piece[] = [...entries.map((e) => e.id), { now: true }];
  const text = formatSubmission(
    submissionRecord(
      runner,
      ctx.n,
      entries.map(({ stage, offset, size, only }) => ({ stage, offset, size, ...(only ? { only } : {}) })),
      entries.map((_, k) => placeholder(k)),
      placeholder(entries.length),
    ),
  ).trimEnd();
  const record = text.split(/@@batchplan-(\d+)@@/).map((part, k) => (k % 2 ? pieces[Number(part)]! : part));
  return {
    command: scheduler.commands[0],
    cancel: scheduler.cancel.argv.map(shellQuote).join(' '),
    dependantsFirst: !!scheduler.cancel.dependantsFirst,
    jobIdPattern: scheduler.jobId.pattern,
    jobIdLines: { [scheduler.jobId.lines]: true },
    jobIdRule: RULES[scheduler.jobId.lines],
    // Jobs of earlier submissions still queued or running: their ids, for the steps that wait for them.
    live: steps.flatMap((s, k) =>
      s.live === undefined
        ? []
        : [
            `${vars[k]}=(${shellQuote(s.live)})   # stage ${shellQuote(ctx.stages[s.sub.stageIndex]!.name)}, partitions ${partitionsText(s.sub)}: queued or running already`,
          ],
    ),
    steps: steps.flatMap((s, k) => {
      if (s.live !== undefined) return [];
      const stage = ctx.stages[s.sub.stageIndex]!;
      return {
        stage: { ...stage, number: stage.index + 1 },
        partitions: partitionsText(s.sub),
        kind: s.sub.array ? 'array' : 'plain job',
        variable: vars[k],
        command: bashCommand(s.command, vars),
        then: (s.then ?? []).map((c) => bashCommand(c, vars)),
      };
    }),
    record: opts.record ? bashWord(record, vars) : '',
  };
}
