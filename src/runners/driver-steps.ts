// The bookkeeping every scheduler's driver script (submit.sh) shares: each submission's job id goes
// into a shell variable, and a submission depends on the variables of every array of the stages its
// stage follows. Runners turn the result into their own dependency options.
import type { ArrayChunk } from './array-chunks.js';
import type { RenderContext, RenderStage } from './runner.js';

export interface DriverStep<S extends ArrayChunk & { stageIndex: number }> {
  sub: S;
  stage: RenderStage & { number: number };
  /** Shell variable holding this submission's job id. */
  variable: string;
  /** References (`$job_0_0`, or as `ref` writes them) to the job ids this submission waits for. */
  after: string[];
  /** Last partition this submission covers. */
  last: number;
}

export function driverSteps<S extends ArrayChunk & { stageIndex: number }>(
  ctx: RenderContext,
  subs: S[],
  ref: (variable: string) => string = (v) => `$${v}`,
): DriverStep<S>[] {
  const refs = new Map<number, string[]>();
  return subs.map((sub, k) => {
    const stage = ctx.stages[sub.stageIndex]!;
    const after = stage.after.flatMap(
      (name) => refs.get(ctx.stages.find((t) => t.name === name)!.index) ?? [],
    );
    const variable = `job_${sub.stageIndex}_${k}`;
    refs.set(sub.stageIndex, [...(refs.get(sub.stageIndex) ?? []), ref(variable)]);
    return {
      sub,
      stage: { ...stage, number: stage.index + 1 },
      variable,
      after,
      last: sub.offset + sub.size - 1,
    };
  });
}

/**
 * What every driver template writes into the submission record: each submission's stage and
 * partition range (`record`, JSON), and the shell words that expand to their job ids
 * (`recordVariables`; `quoted` where ids may hold characters the shell would split on).
 */
export function submissionRecordView(
  steps: { stage: { index: number }; offset: number; last: number; variable: string }[],
  quoted = false,
) {
  return {
    record: JSON.stringify(
      steps.map((s) => ({ stage: s.stage.index, offset: s.offset, size: s.last - s.offset + 1 })),
    ),
    recordVariables: steps.map((s) => (quoted ? `"$${s.variable}"` : `$${s.variable}`)).join(' '),
  };
}
