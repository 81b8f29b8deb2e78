// Options from generate-script/submit flags, in their own module so that runner.ts and scheduler.ts
// (which both use them) do not import each other.

/** Options from generate-script/submit flags; each runner reads the ones it declares. */
export interface RunnerOptions {
  /** Tasks at once inside a partition. */
  nprocs?: number;
  /** Partitions at once (local runners). */
  jobs?: number;
  /** Array elements of a stage running at once (a scheduler's throttle, e.g. Slurm's %K). */
  maxRunning?: number;
  /** Largest array the scheduler accepts; more partitions are split into several arrays. */
  maxArraySize?: number;
  /** Seconds before the wallclock limit at which the scheduler warns the job. */
  signalGrace?: number;
  /** `arrays`: one array job per stage; `allocation`: one job walks every stage inside its allocation. */
  layout?: 'arrays' | 'allocation';
  /** PBS: which dialect (`pro`: -J and PBS_ARRAY_INDEX; `torque`: -t and PBS_ARRAYID). */
  flavor?: 'pro' | 'torque';
  /** Grid Engine: parallel environment for multi-slot partitions (`-pe <name> <cpus-per-task>`). */
  pe?: string;
  /** Container image (kubernetes, saturn). */
  image?: string;
  /** Kubernetes: namespace, the PersistentVolumeClaim holding the plan, and where it is mounted. */
  namespace?: string;
  volume?: string;
  mountPath?: string;
  /** Saturn Cloud: machine type, machines, spot instances, an existing recipe to start from. */
  instanceType?: string;
  scale?: number;
  spot?: boolean;
  recipe?: string;
  /** Saturn Cloud: local directories copied into the job's working directory (like `sc split --sync`). */
  sync?: string[];
  /** Saturn Cloud: a path every machine of the job shares, holding the plan (instead of --sync). */
  sharedPath?: string;
}
