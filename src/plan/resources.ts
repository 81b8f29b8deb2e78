// Scheduler resources as the spec writes them -> normalised (durations in seconds, camelCase, each
// runner's settings under `runners.<name>`).
import { RUNNERS } from '../runners/registry.js';
import { parseTimeLimit } from '../spec/duration.js';
import type { ResourcesSpec } from '../spec/schema.js';
import type { DocPath } from '../spec/source.js';
import type { Resources, RunnerSettings } from './model.js';

type SpecSettings = { args?: string[] } | undefined;

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
  const fields = spec as Record<string, unknown>;
  const runners: Record<string, RunnerSettings> = {};
  for (const r of RUNNERS) {
    if (!r.schedulerArgs) continue;
    const legacy = r.schedulerArgs.legacySpecKey;
    const args = [
      ...((legacy && (fields[legacy] as string[] | undefined)) || []),
      ...((fields[r.name] as SpecSettings)?.args ?? []),
    ];
    if (args.length) runners[r.name] = { args };
  }
  if (Object.keys(runners).length) out.runners = runners;
  return out;
}

/** Layer resources: later layers override earlier ones key by key; runners' verbatim args accumulate. */
export function layerResources(...layers: Resources[]): Resources {
  const out: Resources = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (key !== 'runners') {
        Object.assign(out, { [key]: value });
        continue;
      }
      for (const [name, settings] of Object.entries(value as Record<string, RunnerSettings>)) {
        if (!settings.args?.length) continue;
        out.runners ??= {};
        out.runners[name] = { args: [...(out.runners[name]?.args ?? []), ...settings.args] };
      }
    }
  }
  return out;
}
