// What a loaded runner is: a descriptor (descriptor.ts: name, capabilities, flags, settings) plus its
// renderer. Core code reads capabilities and the declarations; it never branches on a runner's name.
import type { FlagSpecs, RunnerDescriptor, RunnerImpl } from './descriptor.js';

export type { RunnerCapabilities } from './descriptor.js';
export type {
  CommonOptions,
  RenderContext,
  RenderedFile,
  RenderStage,
  RunnerOptions,
  SchedulingOptions,
} from './render-context.js';

/** A runner with its renderer loaded (registry.ts: loadRunner). */
export type Runner<F extends FlagSpecs = FlagSpecs> = RunnerDescriptor<F> & RunnerImpl<F>;
