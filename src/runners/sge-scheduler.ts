// Grid Engine: qsub -terse, qstat -u '*' -g d, qdel, qconf -sconf. Pure argv builders and parsers,
// tested on outputs recorded from Son of Grid Engine 8.1.9 (fixtures/sge/).
import type { Resources } from '../plan/model.js';
import {
  joinJobs,
  scriptWord,
  w,
  type ArraySubmission,
  type Dependency,
  type PartitionJob,
  type WatchedScheduler,
  type SchedulerJobState,
  type Word,
} from './scheduler.js';
import { usageError } from '../errors.js';
import { argWords, partitionGpus } from './directives.js';
import { expandIndices } from './slurm-scheduler.js';

/** Grid Engine's default max_aj_tasks: the most tasks one array job may have. */
export const SGE_MAX_ARRAY_SIZE = 75000;

/** A submission with the qsub options of its stage's resources (they go on the command line). */
export interface SgeSubmission extends ArraySubmission {
  qsubOptions: string[];
}

/** Grid Engine's time format for -l h_rt: H:MM:SS (hours may exceed 24). */
export function sgeTime(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const UNITS: Record<string, number> = { '': 1 / 1024 ** 2, K: 1 / 1024, M: 1, G: 1024, T: 1024 ** 2 };

/** Memory per slot for h_vmem: the partition's memory divided among its slots (whole megabytes). */
export function memPerSlot(mem: string, slots: number): string {
  if (slots <= 1) return mem.replace(/B$/i, '');
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(mem);
  if (!m) return mem;
  return `${Math.ceil((Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) / slots)}M`;
}

/**
 * A partition's GPUs as the consumable's value: Grid Engine counts a consumable per slot (-pe
 * slots), as h_vmem is, so the partition's GPUs are divided among its slots, which must be even.
 */
function gpusPerSlot(gpus: number, slots: number, name: string): number {
  if (gpus % slots !== 0)
    throw usageError(
      `${gpus} GPUs per partition do not divide among its ${slots} Grid Engine slots (-l ${name}=k is per slot)`,
      'Make the GPUs per partition a multiple of cpus_per_task (or its gpus_per_slot × nprocs).',
    );
  return gpus / slots;
}

/** Resources that have no Grid Engine counterpart here (use --qsub-arg with the site's complexes). */
export const UNSUPPORTED: readonly (keyof Resources)[] = [
  'gpus',
  'gpusPerTask',
  'nodes',
  'qos',
  'constraint',
];

/**
 * qsub options for a stage's resources, in one fixed order, as argv words (never a `#$` line: Grid
 * Engine's directive parser drops quote characters, so it cannot carry every value); the verbatim
 * args are argument words (directives.ts).
 */
export function resourceOptions(r: Resources, pe: string | undefined, gpuResource?: string): string[] {
  const slots = r.cpusPerTask ?? 1;
  const gpus = gpuResource === undefined ? undefined : partitionGpus(r);
  const limits = [
    ...(r.time !== undefined ? [`h_rt=${sgeTime(r.time)}`] : []),
    ...(r.mem !== undefined ? [`h_vmem=${memPerSlot(r.mem, slots)}`] : []),
    ...(gpus !== undefined ? [`${gpuResource}=${gpusPerSlot(gpus, slots, gpuResource!)}`] : []),
  ];
  return [
    ...(r.account !== undefined ? ['-P', r.account] : []),
    ...(limits.length ? ['-l', limits.join(',')] : []),
    ...(slots > 1 ? ['-pe', pe ?? 'smp', String(slots)] : []),
    ...(r.partition !== undefined ? ['-q', r.partition] : []),
    ...argWords(r, 'sge'),
  ];
}

/** qsub options that place one array: its task range (one-based), throttle and partition offset. */
export function arrayOptions(sub: Pick<ArraySubmission, 'offset' | 'size'>, maxRunning?: number): string[] {
  return [
    '-t',
    `1-${sub.size}`,
    ...(maxRunning ? ['-tc', String(maxRunning)] : []),
    '-v',
    `BATCHPLAN_ARRAY_OFFSET=${sub.offset}`,
  ];
}

/**
 * Stage order: start only after every job in `after` ended (see the stage script for failures);
 * for a `paired` one, each task only after the same task of that array (-hold_jid_ad: same ranges).
 */
export function holdOptions(after: readonly Dependency[]): Word[] {
  const whole = after.filter((d) => !d.paired);
  const paired = after.filter((d) => d.paired);
  return [
    ...(whole.length ? [w('-hold_jid'), w(...joinJobs(whole, ','))] : []),
    ...(paired.length ? [w('-hold_jid_ad'), w(...joinJobs(paired, ','))] : []),
  ];
}

/**
 * A job's state letters: q(ueued) w(aiting) h(old) r(unning) t(ransferring) R(estarted) s/S/T
 * (suspended) d(eletion) E(rror). An error-state task (`Eqw`: its script exited 100, or it could not
 * start) stays in the queue and never runs without an admin's `qmod -cj`: queued, with a reason
 * that does not clear by waiting (src/submit/pending-reasons.ts).
 */
export function sgeState(letters: string): SchedulerJobState {
  if (/[rtRsST]/.test(letters) || letters.includes('d')) return 'running';
  return 'queued';
}

/** The reason of an error-state task until `qstat -j` (explainSge) gives Grid Engine's own words. */
export const ERROR_STATE = 'error state';

/** `qstat -u '*' -g d`: one line per array task (pending tasks too); finished tasks are not listed. */
export function parseQstat(stdout: string): PartitionJob[] {
  const out: PartitionJob[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    // job-ID prior name user state MM/DD/YYYY HH:MM:SS [queue] slots [ja-task-ID]
    if (f.length < 8 || !/^\d+$/.test(f[0]!) || !/^\d+\/\d+\/\d+$/.test(f[5]!)) continue;
    const rest = f.slice(7);
    if (rest.length && !/^\d+$/.test(rest[0]!)) rest.shift(); // the queue instance (running tasks)
    const tasks = rest[1];
    const schedulerState = f[4]!;
    const state = sgeState(schedulerState);
    for (const index of tasks ? expandIndices(tasks) : [1]) {
      const job: PartitionJob = { jobId: f[0]!, arrayIndex: index, state, schedulerState };
      if (schedulerState.includes('E')) job.reason = `${ERROR_STATE} (qstat -j ${f[0]} shows why)`;
      out.push(job);
    }
  }
  return out;
}

/**
 * Why a job's queued tasks wait: `qstat -j` gives each error-state task's error (`error reason
 * <task>: <date> <time> [uid:pid]: <message>`) and the scheduler's last word on the job (`scheduling
 * info`, when schedd_job_info is on); `qalter -w v` checks the job against the cell as if it were
 * empty and says `no suitable queues` for a job no queue can ever take (too many slots for its
 * PE, a resource above every host's). Both only read.
 */
export const explainArgv = (jobId: string): string[] => [
  'sh',
  '-c',
  'qstat -j "$1"; qalter -w v "$1"',
  'sh',
  jobId,
];

export function explainSge(stdout: string, jobs: PartitionJob[]): PartitionJob[] {
  const errors = new Map<number, string>();
  for (const m of stdout.matchAll(/^error reason\s+(\d+):\s+\S+\s+\S+\s+\[[^\]]*\]:\s*(.*)$/gm))
    errors.set(Number(m[1]), m[2]!.trim());
  // "scheduling info:" and its continuation lines (indented), less what the state letters say.
  const info: string[] = [];
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('scheduling info:'));
  if (at >= 0) {
    info.push(lines[at]!.slice('scheduling info:'.length).trim());
    for (let k = at + 1; k < lines.length && /^\s{4,}\S/.test(lines[k]!); k++) info.push(lines[k]!.trim());
  }
  const said = info.filter((l) => l && l !== 'Job is in error state');
  const never = /^verification: no suitable queues/m.test(stdout);
  const waiting = never ? `no suitable queue (${said[0] ?? 'qalter -w v'})` : said[0];
  return jobs.map((j) => {
    if (j.state !== 'queued') return j;
    if (j.schedulerState.includes('E'))
      return errors.has(j.arrayIndex) ? { ...j, reason: `${ERROR_STATE}: ${errors.get(j.arrayIndex)}` } : j;
    return waiting === undefined ? j : { ...j, reason: waiting };
  });
}

export const sgeScheduler: WatchedScheduler = {
  commands: ['qsub', 'qstat', 'qdel'],
  // -hold_jid_ad: task i of an array waits for task i of an array of the same range (recorded on Son
  // of Grid Engine 8.1.9: other ranges are refused, "must have the same range of sub-tasks").
  pairs: true,
  submit: (sub, opts) => ({
    argv: [
      w('qsub'),
      w('-terse'),
      ...(sub.array ? arrayOptions(sub, opts.maxRunning) : []).map((o) => w(o)),
      ...holdOptions(opts.after),
      ...((sub as Partial<SgeSubmission>).qsubOptions ?? []).map((o) => w(o)),
      scriptWord(sub),
    ],
  }),
  // `qsub -terse` prints `<id>` for a job and `<id>.<first>-<last>:<step>` for an array.
  jobId: { pattern: '^([0-9]+)(\\.[0-9]+-[0-9]+:[0-9]+)?$', lines: 'any' },
  // Plain qstat lists only $USER's jobs (and nothing when USER is unset): ask for everyone's.
  queryArgv: () => ['qstat', '-u', '*', '-g', 'd'],
  parseQuery: parseQstat,
  explain: { argv: explainArgv, apply: explainSge },
  // Dependants first: deleting a job releases the jobs that hold on it (-hold_jid).
  cancel: { argv: ['qdel'], dependantsFirst: true },
  configArgv: ['qconf', '-sconf'],
  parseMaxArraySize: (stdout) => {
    const m = /^max_aj_tasks\s+(\d+)/m.exec(stdout);
    // 0 means no limit.
    return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
  },
};
