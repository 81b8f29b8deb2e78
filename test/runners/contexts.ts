// Fixed render contexts shared by the golden and the conformance tests. Everything here is a
// constant (a bare `batchplan` command, a fixed version, made-up plan paths), so the golden files
// hold nothing of the machine that wrote them.
import { stagePartitions } from '../../src/plan/partition.js';
import type { Resources } from '../../src/plan/model.js';
import { withGpuRequests } from '../../src/runners/context.js';
import type { RunnerDescriptor } from '../../src/runners/descriptor.js';
import type { RenderContext, RenderStage, RunnerOptions } from '../../src/runners/runner.js';

export interface NamedContext {
  /** Directory name under test/golden/<runner>/. */
  name: string;
  ctx: RenderContext;
}

export const BATCHPLAN_COMMAND = 'batchplan';
export const BATCHPLAN_VERSION = '9.8.7-golden';

interface StageSpec {
  name: string;
  tasks: number;
  after?: string[];
  resources?: Resources;
  /** The stage's own partition count (plan.json `partitions`); unset: N. */
  partitions?: number;
  gpus?: RenderStage['gpus'];
  /** Task-level requires, per partition (as src/plan/task-deps-partitions.ts derives them). */
  requires?: RenderStage['requires'];
}

/** Stages as generate-script builds them: the stage's own count, else min(tasks, N). */
function stages(n: number, specs: StageSpec[]): RenderStage[] {
  return specs.map((s, index) => ({
    name: s.name,
    index,
    tasks: s.tasks,
    partitions: stagePartitions(s, n),
    after: s.after ?? [],
    resources: s.resources ?? {},
    ...(s.gpus ? { gpus: s.gpus } : {}),
    ...(s.requires ? { requires: s.requires } : {}),
  }));
}

function context(planDir: string, n: number, specs: StageSpec[], options: RunnerOptions = {}): RenderContext {
  return {
    planDir,
    n,
    stages: stages(n, specs),
    batchplanCommand: BATCHPLAN_COMMAND,
    batchplanVersion: BATCHPLAN_VERSION,
    options,
  };
}

/** Files under the run directory whose existence means a name or path was run as shell code. */
export const PWNED = /pwned/;

/** Stage names that are shell code, GNU parallel replacement strings, or look like options. */
export const NASTY_STAGES = {
  dollar: `it's a "stage" $(touch pwned-dollar) $HOME`,
  parallel: 'x`touch pwned-backtick`; {} {.} {#} {=system("touch pwned-perl")=} * ::: \\ end',
  option: '--help',
} as const;

export const CONTEXTS: readonly NamedContext[] = [
  {
    // The example sweep's shape: 36 tasks and 1 task, N = 4, so the second stage gets 1 partition.
    name: 'two-stage-sweep',
    ctx: context('/data/sweep.plan', 4, [
      { name: 'extract', tasks: 36 },
      { name: 'merge', tasks: 1, after: ['extract'] },
    ]),
  },
  {
    // A plan path and stage names that must each reach batchplan as one literal argument.
    name: 'quoting',
    ctx: context(`/data/my plan's $HOME/{} {#} "x" \`id\`/sweep.plan`, 3, [
      // Resource values reach scheduler scripts, so they need quoting too.
      {
        name: NASTY_STAGES.dollar,
        tasks: 7,
        resources: { account: `lab's $(touch pwned-account)`, mem: '4G', time: 5400, cpusPerTask: 2 },
      },
      { name: NASTY_STAGES.parallel, tasks: 2, after: [NASTY_STAGES.dollar] },
      { name: NASTY_STAGES.option, tasks: 1, after: [NASTY_STAGES.dollar, NASTY_STAGES.parallel] },
    ]),
  },
  {
    // Runner options set; each runner receives only the ones it declares.
    name: 'options',
    ctx: context(
      '/data/sweep.plan',
      5,
      [
        { name: 'extract', tasks: 36 },
        { name: 'merge', tasks: 1, after: ['extract'] },
      ],
      { nprocs: 3, jobs: 2, skipFailures: true },
    ),
  },
  {
    // Stages with partition counts of their own (more than N, fewer than N: from tasks_per_partition)
    // beside one that sets none and takes N = 3.
    name: 'stage-partitions',
    ctx: context('/data/sweep.plan', 3, [
      { name: 'simulate', tasks: 40, partitions: 8 },
      { name: 'reduce', tasks: 10, partitions: 2, after: ['simulate'] },
      { name: 'report', tasks: 7, after: ['reduce'] },
    ]),
  },
  {
    // The qdo example's shape, small (test/runners/requires-intent.test.ts checks it is what
    // generate-script derives from fixtures/examples/qdo-small.yaml): 3 groups × 2 extracts, then a merge
    // per group that needs only its group's extracts. N = 3: extract partition g holds group g, and
    // merge partition g needs extract partition g only.
    name: 'requires',
    ctx: context('/data/qdo.plan', 3, [
      { name: 'extract', tasks: 6 },
      {
        name: 'merge',
        tasks: 3,
        after: ['extract'],
        requires: [{ stage: 0, partitions: [[0], [1], [2]] }],
      },
    ]),
  },
  {
    name: 'single',
    ctx: context('/srv/one.plan', 1, [{ name: 'only', tasks: 1 }]),
  },
  {
    // Stages that ask for different resources, with each scheduler's verbatim arguments (every
    // runner renders the ones it knows), a throttle, and a time limit in days.
    name: 'resources',
    ctx: context(
      '/scratch/sweep.plan',
      6,
      [
        {
          name: 'simulate',
          tasks: 60,
          resources: {
            time: 36 * 3600,
            cpusPerTask: 8,
            mem: '32G',
            account: 'm1234',
            partition: 'regular',
            runners: {
              slurm: { args: ['--exclusive', '--mail-type=FAIL'] },
              pbs: { args: ['-m', 'a'] },
              sge: { args: ['-m', 'a'] },
              lsf: { args: ['-x'] },
            },
          },
        },
        {
          name: 'reduce',
          tasks: 6,
          after: ['simulate'],
          resources: { time: 600, mem: '500M', partition: 'debug' },
        },
      ],
      { nprocs: 8, maxRunning: 3 },
    ),
  },
  {
    // gpus_per_slot: 2 slots of one GPU each (2 GPUs per partition), then 4 slots sharing one GPU
    // ("1/4"); each scheduler asks for slots × gpus_per_slot (runners/context.ts), Grid Engine
    // through the complex --gpu-resource names (per slot).
    name: 'gpus',
    ctx: context(
      '/data/train.plan',
      4,
      [
        {
          name: 'train',
          tasks: 8,
          resources: { cpusPerTask: 2, time: 3600 },
          gpus: { perSlot: { gpus: 1, slots: 1 }, slots: 2 },
        },
        { name: 'embed', tasks: 16, after: ['train'], gpus: { perSlot: { gpus: 1, slots: 4 }, slots: 4 } },
      ],
      { gpuResource: 'gpu' },
    ),
  },
];

/** Options some runners cannot render without (a container image, the volume holding the plan). */
export const REQUIRED_OPTIONS: RunnerOptions = {
  image: 'registry.example.org/batchplan:9.8.7',
  volume: 'batchplan-plans',
  instanceType: 'large',
  hosts: 'hosts.txt',
};

/** The context as generate-script would hand it to `runner`: only the options it declares. */
export function contextFor(runner: RunnerDescriptor, ctx: RenderContext): RenderContext {
  const declared = new Set<string>(['nprocs', 'skipFailures', ...Object.keys(runner.flags)]);
  const options = Object.fromEntries(
    Object.entries({ ...REQUIRED_OPTIONS, ...ctx.options }).filter(([key]) => declared.has(key)),
  ) as RunnerOptions;
  // Resources likewise: only those the runner declares it honours (others are refused, by design),
  // and the runners' own settings (each reads its own).
  const keys = new Set<string>([...(runner.resources ?? []), 'runners']);
  const stages = ctx.stages.map((s) => ({
    ...s,
    resources: Object.fromEntries(Object.entries(s.resources).filter(([k]) => keys.has(k))),
  }));
  // GPU stages' requests, as generate-script derives them for runners that ask for GPUs.
  return { ...ctx, options, stages: keys.has('gpus') ? withGpuRequests(stages) : stages };
}
