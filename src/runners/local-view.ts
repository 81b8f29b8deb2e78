// The view both local runners (sequential, gnu-parallel) render: stages in order with their
// partition counts and the run-partition arguments they share, grouped into steps. A step is one
// stage (the stage barrier: it starts once the steps before it ended with no failure) or stages
// needed task by task (`requires`), whose partitions run in one list in which each partition comes
// right after the last partition it needs: run one after another, a partition starts as soon as
// its prerequisites are done; under GNU parallel (which starts jobs in input order) every partition
// it needs has been started before it, and run-partition waits for their tasks.
import type { RenderContext, RenderStage } from './runner.js';
import { scriptView } from './script-view.js';

/** The stages in steps, in plan order: a stage joins the step before when it needs a stage of it task by task, and none whole. */
export function localSteps(stages: readonly RenderStage[]): RenderStage[][] {
  const steps: RenderStage[][] = [];
  for (const s of stages) {
    const step = steps.at(-1);
    const inStep = new Set(step?.map((x) => x.name));
    const taskLevel = new Set((s.requires ?? []).map((r) => stages[r.stage]!.name));
    const joins =
      step !== undefined &&
      [...taskLevel].some((name) => inStep.has(name)) &&
      s.after.every((name) => taskLevel.has(name) || !inStep.has(name));
    if (joins) step.push(s);
    else steps.push([s]);
  }
  return steps;
}

/**
 * A step's partitions as [position of the stage in the step, partition], each right after the last
 * partition of the step it needs (those needing none of them first), stages in order otherwise.
 */
export function partitionOrder(step: readonly RenderStage[]): [number, number][] {
  let order: [number, number][] = Array.from({ length: step[0]!.partitions }, (_, p) => [0, p]);
  for (let k = 1; k < step.length; k++) {
    const at = new Map(order.map(([s, p], x) => [`${step[s]!.index}:${p}`, x]));
    // after[x + 1]: the partitions of stage k whose last prerequisite is at position x.
    const after: number[][] = Array.from({ length: order.length + 1 }, () => []);
    for (let p = 0; p < step[k]!.partitions; p++) {
      let last = -1;
      for (const need of step[k]!.requires ?? [])
        for (const q of need.partitions[p] ?? []) last = Math.max(last, at.get(`${need.stage}:${q}`) ?? -1);
      after[last + 1]!.push(p);
    }
    const next: [number, number][] = after[0]!.map((p) => [k, p]);
    order.forEach((item, x) => next.push(item, ...after[x + 1]!.map((p): [number, number] => [k, p])));
    order = next;
  }
  return order;
}

/** Words per line in a rendered list, so that a long list stays readable. */
const PER_LINE = 16;
const wrap = (words: readonly string[]) =>
  words.map((w, k) => (k && k % PER_LINE === 0 ? `\\\n  ${w}` : w)).join(' ');

/** `jobs`: partitions at once (gnu-parallel's --jobs). */
export function localView(ctx: RenderContext<object>, jobs?: number) {
  const stages = ctx.stages.map((s, k) => ({
    ...s,
    number: k + 1,
    last: s.partitions - 1,
    afterText: s.after.join(', '),
  }));
  const steps = localSteps(ctx.stages);
  return {
    ...scriptView(ctx),
    jobs: jobs ?? null,
    stages,
    groups: steps.some((step) => step.length > 1),
    steps: steps.map((step) => {
      if (step.length === 1) return { stage: stages[step[0]!.index]!, group: null };
      const order = partitionOrder(step);
      return {
        stage: null,
        group: {
          stages: step.map((s) => stages[s.index]!),
          numbers: `${step[0]!.index + 1}-${step.at(-1)!.index + 1}`,
          names: step.map((s) => s.name).join(', '),
          partitions: order.length,
          // sequential: `<stage position>:<partition>` words; gnu-parallel: two linked lists.
          items: wrap(order.map(([s, p]) => `${s}:${p}`)),
          stageColumn: wrap(order.map(([s]) => String(step[s]!.index))),
          partitionColumn: wrap(order.map(([, p]) => String(p))),
        },
      };
    }),
  };
}
