// Scheduler resources as the spec writes them -> normalised (durations in seconds, camelCase).
import { parseTimeLimit } from '../spec/duration.js';
import type { ResourcesSpec } from '../spec/schema.js';
import type { DocPath } from '../spec/source.js';
import type { Resources } from './model.js';

export function compileResources(
  spec: ResourcesSpec | undefined,
  at: DocPath,
  report: (path: DocPath, message: string) => void,
): Resources {
  if (!spec) return {};
  const out: Resources = {};
  if (spec.time !== undefined) {
    const secs = parseTimeLimit(spec.time);
    if (secs === undefined)
      report([...at, 'time'], `'${spec.time}' is not a duration (use e.g. 30m, 2h or 2:00:00)`);
    else out.time = secs;
  }
  if (spec.cpus_per_task !== undefined) out.cpusPerTask = spec.cpus_per_task;
  if (spec.mem !== undefined)
    out.mem = typeof spec.mem === 'number' ? `${spec.mem}M` : spec.mem.replace(/\s+/g, '');
  if (spec.gpus_per_task !== undefined) out.gpusPerTask = spec.gpus_per_task;
  if (spec.gpus !== undefined) out.gpus = spec.gpus;
  if (spec.nodes !== undefined) out.nodes = spec.nodes;
  for (const key of ['account', 'partition', 'qos', 'constraint'] as const)
    if (spec[key] !== undefined) out[key] = spec[key];
  if (spec.sbatch_args !== undefined) out.sbatchArgs = spec.sbatch_args;
  if (spec.qsub_args !== undefined) out.qsubArgs = spec.qsub_args;
  if (spec.bsub_args !== undefined) out.bsubArgs = spec.bsub_args;
  return out;
}

const VERBATIM = ['sbatchArgs', 'qsubArgs', 'bsubArgs'] as const;

/** Layer resources: later layers override earlier ones key by key; verbatim scheduler args accumulate. */
export function layerResources(...layers: Resources[]): Resources {
  const out: Resources = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if ((VERBATIM as readonly string[]).includes(key)) {
        const k = key as (typeof VERBATIM)[number];
        if ((value as string[]).length) out[k] = [...(out[k] ?? []), ...(value as string[])];
      } else Object.assign(out, { [key]: value });
    }
  }
  return out;
}
