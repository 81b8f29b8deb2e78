// Slurm: sbatch --parsable, scontrol show job -o, scancel. Parsers are tested on recorded outputs
// (fixtures/slurm/).
import { indexRanges } from './array-chunks.js';
import {
  scriptWord,
  w,
  type ArraySubmission,
  type Dependency,
  type Piece,
  type PartitionJob,
  type WatchedScheduler,
  type SchedulerJobState,
  type Word,
} from './scheduler.js';

/**
 * sbatch options that place one array: its indices (a range, or the list of the partitions left:
 * `0,4-6`), throttle and partition offset.
 */
export function arrayOptions(
  sub: Pick<ArraySubmission, 'offset' | 'size' | 'indices'>,
  maxRunning?: number,
): string[] {
  const indices = sub.indices ? indexRanges(sub.indices) : `0-${sub.size - 1}`;
  return [
    `--array=${indices}${maxRunning ? `%${maxRunning}` : ''}`,
    `--export=ALL,BATCHPLAN_ARRAY_OFFSET=${sub.offset}`,
  ];
}

/**
 * Dependency options: all of the `afterok` jobs must succeed (if one cannot, Slurm cancels this
 * job); the `afterany` ones must have ended.
 */
export function dependencyOptions(after: readonly Dependency[]): Word[] {
  return after.length ? [w('--dependency=', ...dependencyList(after)), w('--kill-on-invalid-dep=yes')] : [];
}

/** `afterok:<a>:<b>,afterany:<c>_0:<c>_3`: a job, or given elements of an array job (`<id>_<i>`). */
export function dependencyList(after: readonly Dependency[]): Piece[] {
  const groups: Piece[][] = [];
  for (const type of ['afterok', 'afterany'] as const) {
    const refs = after
      .filter((d) => d.type === type)
      .flatMap((d) =>
        d.elements ? d.elements.map((e): Piece[] => [{ job: d.job }, `_${e}`]) : [[{ job: d.job }]],
      );
    if (refs.length) groups.push([`${type}:`, ...refs.flatMap((r, k) => (k ? [':', ...r] : r))]);
  }
  return groups.flatMap((g, k) => (k ? [',', ...g] : g));
}

const STATES: Record<string, SchedulerJobState> = {
  PENDING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_HOLD: 'queued',
  SUSPENDED: 'queued',
  CONFIGURING: 'running',
  RUNNING: 'running',
  COMPLETING: 'running',
  RESIZING: 'running',
  STAGE_OUT: 'running',
  SIGNALING: 'running',
  COMPLETED: 'completed',
};

export function parseScontrolJobs(stdout: string): PartitionJob[] {
  const out: PartitionJob[] = [];
  // One record per job: a line with `-o`, else a block whose continuation lines are indented.
  for (const line of stdout.split(/\n(?=JobId=)/)) {
    if (!line.startsWith('JobId=')) continue;
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1];
    const arrayJob = field('ArrayJobId') ?? field('JobId')!;
    const taskIds = field('ArrayTaskId');
    const schedulerState = field('JobState') ?? 'UNKNOWN';
    const state = STATES[schedulerState] ?? 'failed';
    const [code, signal] = (field('ExitCode') ?? '0:0').split(':').map(Number);
    const reason = field('Reason');
    for (const index of expandIndices(taskIds ?? '0')) {
      const job: PartitionJob = { jobId: arrayJob, arrayIndex: index, state, schedulerState };
      if (reason && reason !== 'None') job.reason = reason;
      if (state === 'completed' || state === 'failed') {
        job.exitCode = code;
        if (signal) job.signal = signal;
      }
      out.push(job);
    }
  }
  return out;
}

/** `3`, `0-7`, `0-7%2`, `1,3,5-6`, `0-9:3` -> the indices. */
export function expandIndices(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = first; i <= last; i += step) out.push(i);
  }
  return out;
}

export const slurmScheduler: WatchedScheduler = {
  commands: ['sbatch', 'scontrol', 'scancel'],
  indexLists: true,
  elementDependencies: true,
  submit: (sub, opts) => ({
    argv: [
      w('sbatch'),
      w('--parsable'),
      ...(sub.array ? arrayOptions(sub, opts.maxRunning).map((o) => w(o)) : []),
      ...dependencyOptions(opts.after),
      scriptWord(sub),
    ],
  }),
  // Per partition: element <id>_<e> of a pending array is split off and waits only for the
  // partitions it needs (afterany:<dep>_<i>:…), with the stage's other (afterok) dependencies.
  narrow: (self, element, after) => ({
    argv: [
      w('scontrol'),
      w('update'),
      w('JobId=', { job: self }, `_${element}`),
      w('Dependency=', ...dependencyList(after)),
    ],
  }),
  // --parsable prints "<id>" or "<id>;<cluster>".
  jobId: { pattern: '^([0-9]+)(;.*)?$', lines: 'one' },
  cancel: { argv: ['scancel'] },
  queryArgv: (jobId) => ['scontrol', 'show', 'job', '-o', jobId],
  parseQuery: parseScontrolJobs,
  // A job purged from slurmctld's memory (MinJobAge after its end); "Unable to contact slurm
  // controller" and the like are failures.
  unknownJob: (r) => /Invalid job id specified/.test(r.stderr),
  configArgv: ['scontrol', 'show', 'config'],
  parseMaxArraySize: (stdout) => {
    const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(stdout);
    return m ? Number(m[1]) : undefined;
  },
};
