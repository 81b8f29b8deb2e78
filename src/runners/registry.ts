// The runners, from their descriptors (descriptors.ts), and their renderers loaded on demand.
import { BatchplanError } from '../errors.js';
import type { RunnerDescriptor } from './descriptor.js';
import * as descriptors from './descriptors.js';
import type { Runner } from './runner.js';
import { didYouMean } from '../util/did-you-mean.js';

/**
 * Every runner's descriptor, by name: in code-point order (the names are lower-case ASCII), not with
 * localeCompare, whose first call loads ICU's collator: ~8 ms of every run-partition's start.
 */
export const RUNNERS: readonly RunnerDescriptor[] = Object.values(descriptors)
  .map((d) => d as unknown as RunnerDescriptor)
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export function getRunner(name: string): RunnerDescriptor {
  const runner = RUNNERS.find((r) => r.name === name);
  if (!runner)
    throw new BatchplanError(
      'E_UNKNOWN_RUNNER',
      `no runner '${name}'${didYouMean(
        name,
        RUNNERS.map((r) => r.name),
      )}`,
      `Runners: ${RUNNERS.map((r) => r.name).join(', ')}`,
    );
  return runner;
}

/** The runner with its renderer (which may load Handlebars, yaml or zod). */
export async function loadRunner(name: string): Promise<Runner> {
  const descriptor = getRunner(name);
  const impl = await descriptor.load();
  return {
    ...descriptor,
    render: impl.render,
    ...(impl.submissions ? { submissions: impl.submissions } : {}),
  };
}

/** Every runner, loaded (tests, docs). */
export const loadRunners = (): Promise<Runner[]> => Promise.all(RUNNERS.map((r) => loadRunner(r.name)));
