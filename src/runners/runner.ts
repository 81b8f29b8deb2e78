// The Runner interface: a runner declares what it is capable of and renders files from a plan's
// shape. Core code reads capabilities; it never branches on a runner's name.

export interface RunnerCapabilities {
  /** Environment variable a scheduler sets to the array index (run-partition reads it with `auto`). */
  partitionIndexEnv?: string;
  /** Whether that index counts from one. */
  oneBased: boolean;
  /** Largest array the scheduler accepts by default; more partitions are split (schedulers only). */
  maxArraySize?: number;
  /** Whether batchplan can submit, watch and cancel what this runner renders. */
  canSubmit: boolean;
}

export interface RenderStage {
  name: string;
  /** Position in the plan's stage order. */
  index: number;
  tasks: number;
  /** Partitions this stage really gets (at most its task count). */
  partitions: number;
  after: string[];
}

export interface RenderContext {
  /** Absolute plan directory path. */
  planDir: string;
  /** Partitions asked for per stage. */
  n: number;
  stages: RenderStage[];
  /** Shell code that runs batchplan; the script appends the arguments. */
  batchplanCommand: string;
  batchplanVersion: string;
  options: RunnerOptions;
}

/** Options from generate-script flags; each runner reads the ones it declares. */
export interface RunnerOptions {
  /** Tasks at once inside a partition. */
  nprocs?: number;
  /** Partitions at once (local runners). */
  jobs?: number;
}

export interface RenderedFile {
  /** Relative path of the file in the output directory. */
  path: string;
  content: string;
  executable: boolean;
}

export interface Runner {
  name: string;
  summary: string;
  capabilities: RunnerCapabilities;
  /** generate-script flags (long names) this runner uses beyond the common ones. */
  options: (keyof RunnerOptions)[];
  /** Pure: the files to write. The first one is the entry point (printed when there is no -o). */
  render(ctx: RenderContext): RenderedFile[];
}
