// The one submission path: what to run to submit a plan, as data, built once in TypeScript. Both
// `batchplan submit` (src/submit/submit.ts: resolves each step and runs it) and every scheduler
// runner's submit.sh (submit-script.ts: renders the same steps as bash) read these steps; bash only
// substitutes the job ids it captured at run time. Pure: no I/O, no Handlebars.
import type { PartitionNeeds } from '../plan/task-deps-format.js';
import { usageError } from '../errors.js';
import type { LiveJob, RenderContext } from './render-context.js';
import {
  elementsOf,
  type Arg,
  type ArraySubmission,
  type Dependency,
  type JobIdFormat,
  type JobRef,
  type SchedulerAdapter,
  type SubmitStep,
  type Word,
} from './scheduler.js';

/**
 * The steps for `subs` (already filtered to what is to be submitted), in order: each depends on every
 * earlier step of the stages its stage follows (a stage not submitted is not waited for).
 */
export function submitSteps(
  ctx: RenderContext,
  scheduler: SchedulerAdapter,
  submitted: readonly ArraySubmission[],
): SubmitStep[] {
  // Jobs still queued or running from earlier submissions come first, as steps already done.
  const live = ctx.live ?? [];
  const subs = [...live.map(liveSubmission), ...submitted];
  return subs.map((sub, k) => {
    if (k < live.length) return { sub, live: live[k]!.jobId, after: [], command: { argv: [] } };
    const stage = ctx.stages[sub.stageIndex];
    const follows = new Set(
      (stage?.after ?? []).map((name) => ctx.stages.find((s) => s.name === name)!.index),
    );
    // Stages needed task by task: waited for per partition where the scheduler can say so.
    const needs = new Map(stage?.requires?.map((r) => [r.stage, r]));
    const after: Dependency[] = subs.slice(0, k).flatMap((s, j): Dependency[] => {
      if (!follows.has(s.stageIndex)) return [];
      const need = needs.get(s.stageIndex);
      if (!need && j < live.length && live[j]!.endedBadly) return [afterLiveElements(scheduler, live[j]!, j)];
      if (!need) return [{ job: j, type: 'afterok' }];
      if (scheduler.narrow) return [{ job: j, type: 'afterany' }];
      if (!scheduler.pairs) return [{ job: j, type: 'afterok' }];
      const pairing = pairingOf(sub, s, need);
      if (pairing === 'none') return [];
      return [
        pairing === 'paired' ? { job: j, type: 'afterany', paired: true } : { job: j, type: 'afterok' },
      ];
    });
    const step: SubmitStep = {
      sub,
      after,
      command: scheduler.submit(sub, { after, maxRunning: ctx.options.maxRunning, options: ctx.options }),
    };
    if (scheduler.narrow && needs.size && sub.array) {
      const then = narrowed(sub, after, subs, needs).map(([e, deps]) => scheduler.narrow!(k, e, deps));
      if (then.length) step.then = then;
    }
    return step;
  });
}

/** A live job as a submission (its live elements the index list), for the dependency rules. */
function liveSubmission(job: LiveJob): ArraySubmission {
  const all = job.elements.length === job.size;
  return {
    stageIndex: job.stageIndex,
    array: job.size > 1,
    file: '',
    offset: job.offset,
    size: job.size,
    ...(all ? {} : { indices: job.elements.map((p) => p - job.offset) }),
  };
}

/**
 * A stage barrier on a live array some of whose elements ended badly (their partitions are being
 * submitted again): `afterok` on the whole job would never be met, so wait for the elements still
 * queued or running, where the scheduler can name them.
 */
function afterLiveElements(scheduler: SchedulerAdapter, job: LiveJob, j: number): Dependency {
  if (!scheduler.elementDependencies)
    throw usageError(
      `job ${job.jobId} is still queued or running, but some of its array elements failed: a stage after it cannot wait for the rest of the array on this scheduler`,
      'Wait for the job to end (batchplan wait), then submit again.',
    );
  return { job: j, type: 'afterok', elements: job.elements.map((p) => p - job.offset) };
}

/**
 * How `sub` can wait for `dep`, an array of a stage it needs task by task, with a scheduler that
 * pairs equal elements only: 'none' when no element needs a partition `dep` holds, 'paired' when
 * each needs at most its own counterpart in an array of the same elements, else 'barrier'.
 */
function pairingOf(
  sub: ArraySubmission,
  dep: ArraySubmission,
  need: PartitionNeeds,
): 'none' | 'paired' | 'barrier' {
  const held = new Set(elementsOf(dep).map((e) => dep.offset + e));
  const same =
    sub.array &&
    dep.array &&
    sub.offset === dep.offset &&
    sub.size === dep.size &&
    String(elementsOf(sub)) === String(elementsOf(dep));
  let any = false;
  for (const e of elementsOf(sub)) {
    const p = sub.offset + e;
    for (const q of need.partitions[p] ?? []) {
      if (!held.has(q)) continue;
      any = true;
      if (q !== p || !same) return 'barrier';
    }
  }
  return any ? 'paired' : 'none';
}

/**
 * Per element of an array, its dependencies with each stage needed task by task narrowed to
 * the elements (of that stage's steps) holding the partitions it needs; elements that need every
 * element anyway are left out (their barrier is already exact).
 */
function narrowed(
  sub: ArraySubmission,
  after: readonly Dependency[],
  subs: readonly ArraySubmission[],
  needs: Map<number, PartitionNeeds>,
): [number, Dependency[]][] {
  const out: [number, Dependency[]][] = [];
  for (const e of elementsOf(sub)) {
    const p = sub.offset + e;
    let narrower = false;
    const deps = after.flatMap((d): Dependency[] => {
      const dep = subs[d.job]!;
      const need = needs.get(dep.stageIndex);
      if (d.type !== 'afterany' || !need || !dep.array) return [d];
      const submitted = new Set(elementsOf(dep));
      const elements = (need.partitions[p] ?? []).map((q) => q - dep.offset).filter((q) => submitted.has(q));
      if (elements.length < submitted.size) narrower = true;
      return elements.length ? [{ ...d, elements }] : [];
    });
    if (narrower) out.push([e, deps]);
  }
  return out;
}

/** A word with the ids known (`ids[k]`: the ids step k printed) and the scripts' directory. */
export function resolveWord(word: Word, ids: readonly (readonly string[])[], dir: string, now = ''): string {
  return word
    .map((p) => {
      if (typeof p === 'string') return p;
      if ('scripts' in p) return dir;
      if ('now' in p) return now;
      const id = ids[p.job]?.[p.index ?? 0];
      if (id === undefined) throw new Error(`submission step ${p.job} has no job id ${p.index ?? 0}`);
      return p.ifArray ? p.ifArray[id.includes('[]') ? 0 : 1] : id;
    })
    .join('');
}

/** The argv of a command, its job id references resolved. */
export function resolveArgv(
  args: readonly Arg[],
  ids: readonly (readonly string[])[],
  dir: string,
): string[] {
  return args.flatMap((a) =>
    'eachJob' in a ? (ids[a.eachJob] ?? []).map((id) => a.prefix + id) : [resolveWord(a, ids, dir)],
  );
}

/** Placeholder ids for commands shown before anything is submitted (--dry-run). */
export function placeholderIds(ctx: RenderContext, steps: readonly SubmitStep[]): string[][] {
  return steps.map((s) => [s.live ?? `<job of ${ctx.stages[s.sub.stageIndex]?.name ?? 'allocation'}>`]);
}

/** The id(s) a submission printed, by the scheduler's format; throws when it printed none. */
export function parseJobIds(format: JobIdFormat, stdout: string, command = 'the scheduler'): string[] {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const re = new RegExp(format.pattern);
  const ids: string[] = [];
  for (const line of format.lines === 'one' && lines.length !== 1 ? [] : lines) {
    const m = re.exec(line);
    if (m) ids.push(m[1]!);
    else if (format.lines !== 'any') return refuse();
    if (m && format.lines === 'any') break;
  }
  if (ids.length === 0) return refuse();
  return ids;

  function refuse(): never {
    throw new Error(`${command} printed '${stdout.trim()}', not a job id`);
  }
}

/** The one job id a submission printed (throws when it printed none, or several). */
export function parseJobId(scheduler: SchedulerAdapter, stdout: string): string {
  const ids = parseJobIds(scheduler.jobId, stdout, scheduler.commands[0]);
  if (ids.length !== 1) throw new Error(`${scheduler.commands[0]} printed ${ids.length} job ids, not one`);
  return ids[0]!;
}

/** argv cancelling `ids` (in submission order). */
export function cancelArgv(scheduler: SchedulerAdapter, ids: readonly string[]): string[] {
  return [...scheduler.cancel.argv, ...(scheduler.cancel.dependantsFirst ? [...ids].reverse() : ids)];
}

/**
 * What the submission record lists, one entry per job: a step's array, or (a scheduler printing one
 * job per partition) each partition of it.
 */
export function recordEntries(
  scheduler: SchedulerAdapter,
  steps: readonly SubmitStep[],
): { stage: number; offset: number; size: number; only?: number[]; id: JobRef }[] {
  return steps.flatMap(({ sub, live }, job) =>
    // A live job carried over: only its elements still queued or running are this record's.
    live !== undefined
      ? [
          {
            stage: sub.stageIndex,
            offset: sub.offset,
            size: sub.size,
            only: elementsOf(sub).map((e) => sub.offset + e),
            id: { job },
          },
        ]
      : scheduler.jobId.lines === 'each'
        ? Array.from({ length: sub.size }, (_, index) => ({
            stage: sub.stageIndex,
            offset: sub.offset + index,
            size: 1,
            id: { job, index },
          }))
        : [{ stage: sub.stageIndex, offset: sub.offset, size: sub.size, id: { job } }],
  );
}
