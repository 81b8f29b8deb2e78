// PBS (PBS Professional / OpenPBS, and Torque): qsub, qstat -f, qdel. Pure argv builders and output
// parsers, tested on recorded outputs of Slurm's PBS wrappers and on outputs written from the PBS
// manuals (fixtures/pbs/, whose README says which is which).
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { shellQuote } from '../util/shell-quote.js';
import { argsDirective, partitionGpus } from './directives.js';
import {
  joinJobs,
  scriptWord,
  w,
  type ArraySubmission,
  type Dependency,
  type PartitionJob,
  type Piece,
  type WatchedScheduler,
  type SchedulerJobState,
  type SubmitCommand,
  type Word,
} from './scheduler.js';

export type PbsFlavor = 'pro' | 'torque';
export const DEFAULT_FLAVOR: PbsFlavor = 'pro';

export function flavorOf(options: object | undefined): PbsFlavor {
  const flavor = (options as { flavor?: unknown } | undefined)?.flavor;
  return flavor === 'torque' || flavor === 'pro' ? flavor : DEFAULT_FLAVOR;
}

/**
 * The array option of one submission: PBS Pro `-J 0-(n-1)`, Torque `-t 0-(n-1)`, `%K` throttling it.
 * None for a one-element submission: PBS Pro refuses a one-element range, so it is a plain job.
 */
export function arrayArgs(flavor: PbsFlavor, size: number, maxRunning?: number): string[] {
  if (size < 2) return [];
  return [flavor === 'pro' ? '-J' : '-t', `0-${size - 1}${maxRunning ? `%${maxRunning}` : ''}`];
}

/**
 * `-W depend=…` value for "after all of `after` succeeded", as each flavour spells it: PBS Pro takes
 * `afterok` for a job and an array (`1234[].server`) alike; Torque wants `afterokarray` for an
 * array, known only from the id qsub printed (Slurm's wrappers print bare ids: `afterok`), so each
 * id carries its own type there (`afterok:1,afterokarray:2[].srv`).
 */
export function dependValue(flavor: PbsFlavor, after: readonly Dependency[]): Word | undefined {
  if (after.length === 0) return undefined;
  if (flavor === 'pro') return w('depend=afterok:', ...joinJobs(after, ':'));
  const parts: Piece[] = after.flatMap(({ job }, k) => [
    ...(k ? [','] : []),
    { job, ifArray: ['afterokarray:', 'afterok:'] as const },
    { job },
  ]);
  return w('depend=', ...parts);
}

/** qsub command of one submission (no shell): array, partition offset, dependencies, the script. */
export function qsubCommand(
  flavor: PbsFlavor,
  sub: Pick<ArraySubmission, 'array' | 'offset' | 'size' | 'file'>,
  opts: { after: readonly Dependency[]; maxRunning?: number },
): SubmitCommand {
  const depend = dependValue(flavor, opts.after);
  return {
    argv: [
      w('qsub'),
      ...(sub.array ? arrayArgs(flavor, sub.size, opts.maxRunning) : []).map((o) => w(o)),
      ...(sub.offset > 0 ? [w('-v'), w(`BATCHPLAN_ARRAY_OFFSET=${sub.offset}`)] : []),
      ...(depend ? [w('-W'), depend] : []),
      scriptWord(sub),
    ],
  };
}

// PBS job states (qstat(1B)): Q queued, H held, W waiting for its start time, T in transit, S/U
// suspended, R running, E exiting, B an array that has begun, X a finished subjob, F finished (PBS Pro
// job history), C completed (Torque), M moved to another server.
const STATES: Record<string, SchedulerJobState | 'finished'> = {
  Q: 'queued',
  H: 'queued',
  W: 'queued',
  T: 'queued',
  S: 'queued',
  U: 'queued',
  R: 'running',
  E: 'running',
  B: 'running',
  X: 'finished',
  F: 'finished',
  C: 'finished',
};

interface QstatRecord {
  id: string;
  fields: Map<string, string>;
}

/** `qstat -f` records: `Job Id: <id>`, then indented `name = value` lines (long values wrap). */
export function parseQstatRecords(stdout: string): QstatRecord[] {
  const out: QstatRecord[] = [];
  let current: QstatRecord | undefined;
  let last: string | undefined;
  for (const raw of stdout.split('\n')) {
    const head = /^Job Id:\s*(\S+)/.exec(raw);
    if (head) {
      current = { id: head[1]!, fields: new Map() };
      out.push(current);
      last = undefined;
      continue;
    }
    if (!current) continue;
    const field = /^\s+([A-Za-z_][\w.]*)\s=\s?(.*)$/.exec(raw);
    if (field) {
      last = field[1]!;
      current.fields.set(last, field[2]!.trim());
    } else if (last && /^\s+\S/.test(raw)) {
      current.fields.set(last, current.fields.get(last)! + raw.trim());
    }
  }
  return out;
}

/**
 * What `qstat -f [-t]` says about the partitions. Subjobs (`1234[3].server`) are reported under their
 * array's id (`1234[].server`) with their index; a job without subjobs in the output (a plain job, or
 * Slurm's wrapper, which shows an array as one record under its bare id) is reported as element 0.
 */
export function parseQstat(stdout: string): PartitionJob[] {
  const records = parseQstatRecords(stdout);
  const subjobOf = (id: string) => id.replace(/\[\d+\]/, '[]');
  const withSubjobs = new Set(records.filter((r) => /\[\d+\]/.test(r.id)).map((r) => subjobOf(r.id)));
  // An array's comment on why it waits, for its queued subjobs (not "Job Array Began at …").
  const arrays = new Map(
    records.flatMap((r) => {
      const c = r.fields.get('comment');
      return withSubjobs.has(r.id) && c && /^(Not Running|Can Never Run)\b/.test(c) ? [[r.id, c]] : [];
    }),
  );
  const out: PartitionJob[] = [];
  for (const r of records) {
    if (withSubjobs.has(r.id)) continue; // the array itself, listed besides its subjobs
    const m = /\[(\d+)\]/.exec(r.id);
    const index = m ? Number(m[1]) : Number(r.fields.get('array_index') ?? 0);
    const schedulerState = r.fields.get('job_state') ?? 'UNKNOWN';
    const mapped = STATES[schedulerState] ?? 'failed';
    const exit = r.fields.get('Exit_status') ?? r.fields.get('exit_status');
    const code = exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : undefined;
    let state: SchedulerJobState = mapped === 'finished' ? 'completed' : mapped;
    if (mapped === 'finished' && code !== undefined && code !== 0) state = 'failed';
    const job: PartitionJob = { jobId: subjobOf(r.id), arrayIndex: index, state, schedulerState };
    if (code !== undefined && (state === 'completed' || state === 'failed')) {
      // PBS reports a job killed by signal n as 256 + n (271: SIGTERM); negative codes are PBS's own.
      job.exitCode = code;
      if (code > 256) job.signal = code - 256;
    }
    // Why it failed, or why it waits (PBS Pro's scheduler comments a queued job: "Not Running: …",
    // "Can Never Run: …"; a queued subjob says it on its array's record). Slurm's wrappers say nothing.
    const comment = r.fields.get('comment') ?? (m ? arrays.get(subjobOf(r.id)) : undefined);
    if (comment && (state === 'failed' || state === 'queued')) job.reason = comment;
    out.push(job);
  }
  return out;
}

export const pbsScheduler: WatchedScheduler = {
  commands: ['qsub', 'qstat', 'qdel'],
  submit: (sub, opts) => qsubCommand(flavorOf(opts.options), sub, opts),
  // qsub prints `1234.server`, `1234[].server` (an array), or a bare `1234` (Slurm's wrapper).
  jobId: { pattern: '^([0-9]+(\\[\\])?(\\.[A-Za-z0-9_.-]+)?)$', lines: 'one' },
  // PBS Pro refuses a one-element -J (pbsSubmissions makes a one-partition stage a plain job too).
  minArraySize: 2,
  cancel: { argv: ['qdel'] },
  // `-t` lists an array's subjobs (PBS Pro and Torque alike). Slurm's qstat wrapper has no -t and
  // prints bare ids, so a bare id is queried without it.
  queryArgv: (jobId) => (jobId.includes('[') ? ['qstat', '-f', '-t', jobId] : ['qstat', '-f', jobId]),
  parseQuery: parseQstat,
  // PBS_UNKJOBID (15001) as an exit status is 153, with "Unknown Job Id" (PBS Pro, Torque) or
  // nothing on stderr (Slurm's wrapper: fixtures/pbs/wrapper-qstat-f-unknown.*).
  unknownJob: (r) => r.exitCode === 153 || /Unknown Job Id/i.test(r.stderr),
};

// ---- Directives ----

/** PBS walltime: HH:MM:SS, hours unbounded. */
export function pbsWalltime(seconds: number): string {
  const s = Math.ceil(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

const UNITS = ['kb', 'mb', 'gb', 'tb'];

/** A memory size as PBS writes it: an integer and kb/mb/gb/tb (`4G` -> `4gb`, `1.5G` -> `1536mb`, `500` -> `500mb`). */
export function pbsSize(mem: string): string {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(mem.trim());
  if (!m) throw usageError(`memory '${mem}' is not a size (e.g. 16G, 500M)`);
  let value = Number(m[1]);
  let unit = m[2] ? 'KMGT'.indexOf(m[2].toUpperCase()) : 1; // no unit: megabytes, as Slurm reads it
  while (!Number.isInteger(value) && unit > 0) {
    value *= 1024;
    unit--;
  }
  return `${Math.ceil(value)}${UNITS[unit]}`;
}

/** Values go into `#PBS` lines: a newline would end the comment and start shell code. */
function line(value: string): string {
  if (/[\n\r]/.test(value))
    throw usageError(`a PBS directive value contains a line break: ${JSON.stringify(value)}`);
  return value;
}

/**
 * `#PBS` directives for resources, in a fixed order, values shell-quoted (qsub, and sbatch reading
 * `#PBS` lines, split them with shell-like quoting), then the verbatim args (directives.ts).
 */
export function resourceDirectives(flavor: PbsFlavor, r: Resources): string[] {
  for (const [key, flag] of [
    ['qos', '--qos'],
    ['constraint', '--constraint'],
  ] as const)
    if (r[key] !== undefined)
      throw usageError(
        `${flag} does not apply to runner 'pbs' (PBS has no ${key === 'qos' ? 'QoS' : 'node constraint'} option)`,
        "Pass the site's own directive with --qsub-arg, e.g. --qsub-arg -l --qsub-arg place=excl (each is one argument word).",
      );
  const out: string[] = [];
  if (r.account !== undefined) out.push(`-A ${shellQuote(line(r.account))}`);
  const gpus = partitionGpus(r);
  if (flavor === 'pro') {
    const chunk = [
      `${r.nodes ?? 1}`,
      ...(r.cpusPerTask ? [`ncpus=${r.cpusPerTask}`] : []),
      ...(r.mem ? [`mem=${pbsSize(r.mem)}`] : []),
      ...(gpus ? [`ngpus=${gpus}`] : []),
    ];
    if (chunk.length > 1 || r.nodes) out.push(`-l select=${chunk.join(':')}`);
  } else {
    if (r.nodes || r.cpusPerTask || gpus)
      out.push(`-l nodes=${r.nodes ?? 1}:ppn=${r.cpusPerTask ?? 1}${gpus ? `:gpus=${gpus}` : ''}`);
    if (r.mem) out.push(`-l mem=${pbsSize(r.mem)}`);
  }
  if (r.time !== undefined) out.push(`-l walltime=${pbsWalltime(r.time)}`);
  if (r.partition !== undefined) out.push(`-q ${shellQuote(line(r.partition))}`);
  return [...out, ...argsDirective(r, 'pbs')];
}

/** A job name both flavours accept: starts with a letter, no odd characters, at most 15 for Torque. */
export function pbsJobName(flavor: PbsFlavor, stageIndex: number, stage: string): string {
  return `bp${stageIndex}-${stage.replace(/[^A-Za-z0-9_.-]+/g, '_')}`.slice(0, flavor === 'torque' ? 15 : 64);
}
