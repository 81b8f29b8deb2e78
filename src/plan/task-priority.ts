// A template stage's `priority` (a number, or a template rendered per task) as a run order.
import type { StageSpec } from '../spec/schema.js';
import type { DocPath } from '../spec/source.js';
import { compileTaskTemplate, describeTemplateError } from './template.js';

/**
 * How many tasks lead the stage's run order with its highest priority, when that is above its
 * lowest: they start before any other task of the stage (exec/urgent-first.ts). Sorted, highest first.
 */
export function urgentCount(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0 || sorted[0]! <= sorted[n - 1]!) return 0;
  let k = 1;
  while (k < n && sorted[k] === sorted[0]) k++;
  return k;
}

/**
 * Run order by a template stage's `priority` (a number, or a template per task): stable, higher
 * first, with its urgent head (urgentCount). Undefined when there is no priority or it changes nothing.
 */
export function priorityOrder(
  stage: StageSpec,
  at: DocPath,
  total: number,
  varsOf: (k: number) => Record<string, unknown>,
  report: (path: DocPath, message: string) => void,
): { order: Uint32Array; urgent: number } | undefined | false {
  if (stage.priority === undefined || typeof stage.priority === 'number') return undefined;
  let tpl: ReturnType<typeof compileTaskTemplate>;
  try {
    tpl = compileTaskTemplate(stage.priority);
  } catch (err) {
    report([...at, 'priority'], `not a valid template: ${describeTemplateError(err)}`);
    return false;
  }
  const prio = new Float64Array(total);
  let varies = false;
  for (let k = 0; k < total; k++) {
    const vars = varsOf(k);
    let text: string;
    try {
      text = tpl(vars, k).trim();
    } catch (err) {
      report(
        [...at, 'priority'],
        `task ${stage.name}.${k}: ${describeTemplateError(err, Object.keys(vars))}`,
      );
      return false;
    }
    const v = text === '' ? 0 : Number(text);
    if (!Number.isFinite(v)) {
      report([...at, 'priority'], `task ${stage.name}.${k}: the priority renders as '${text}', not a number`);
      return false;
    }
    prio[k] = v;
    if (v !== prio[0]) varies = true;
  }
  if (!varies) return undefined;
  const order = new Uint32Array(total);
  for (let k = 0; k < total; k++) order[k] = k;
  order.sort((a, b) => prio[b]! - prio[a]! || a - b);
  return { order, urgent: urgentCount(Array.from(order, (k) => prio[k]!)) };
}
