// Why a queued partition waits, and whether that can ever clear by itself. A job a scheduler
// accepted but can never start (Slurm: more CPUs than any node of its partition has,
// `PartitionConfig`; Grid Engine: no queue can take it, or an error state; PBS Pro: "Can Never
// Run") stays queued forever; `wait` stops on such a reason instead of waiting for ever, and
// `status` names it. The reasons are the schedulers' own words, as their adapters report them
// (src/runners/*-scheduler.ts); each scheduler's words are distinct, so one table serves them all.
import type { PartitionState, SubmissionState } from './scheduler-state.js';

interface NeverClears {
  pattern: RegExp;
  /** What it means, after "which does not clear by waiting: ". */
  why: string;
  /** What to do instead, for the error's hint: sentences, given the cancel command and a job id. */
  fix: (cancel: string, job: string) => string;
}

const SLURM_FIX = (cancel: string) =>
  `Cancel them (${cancel}) and submit again asking for what the partition has (sinfo -o "%P %c %m %G %l" lists CPUs, memory, GPUs and time limit per partition).`;

/**
 * Slurm's pending reasons (squeue(1) "JOB REASON CODES") that no amount of waiting clears: the job
 * asks for what its partition, account or QOS cannot give, or what it needs will never come. Those
 * that clear as others' jobs end (Resources, Priority, Dependency, QOSGrp*, AssocGrp* …) are not here.
 */
const SLURM: NeverClears[] = [
  {
    pattern: /^PartitionConfig$/,
    why: 'the job asks for more than its partition can give (CPUs, memory, GPUs or nodes per job)',
  },
  { pattern: /^ReqNodeNotAvail/, why: 'a node the job needs is down, drained or not in its partition' },
  { pattern: /^BadConstraints$/, why: 'no node has the features (--constraint) the job asks for' },
  { pattern: /^DependencyNeverSatisfied$/, why: 'a job it depends on failed' },
  { pattern: /^Partition(NodeLimit|TimeLimit)$/, why: "the job is over its partition's node or time limit" },
  { pattern: /^Invalid(Account|QOS)$/, why: 'its account or QOS is not valid' },
  {
    pattern: /^(QOS|Assoc)Max\w*PerJob(Limit)?$/,
    why: 'the job is over a per-job limit of its QOS or account',
  },
].map((r) => ({ ...r, fix: SLURM_FIX }));

/**
 * Grid Engine (sge-scheduler.ts explainSge): a task in error state (`Eqw`) runs again only after
 * `qmod -cj`; `no suitable queue` is `qalter -w v` finding no queue that could take the job even
 * with the cell empty. Scheduling info such as "cannot run in queue … because it is full" clears.
 */
const SGE: NeverClears[] = [
  {
    pattern: /^error state\b/,
    why: 'Grid Engine put the task in error state (it could not start it, or its script exited 100); it runs again only after qmod -cj',
    fix: (cancel, job) =>
      `qstat -j ${job} shows the error: fix its cause and clear it with qmod -cj ${job}, or cancel the jobs (${cancel}) and submit again.`,
  },
  {
    pattern: /^no suitable queue\b/,
    why: 'no queue of the cell can take the job even when it is empty (qalter -w v): it asks for more slots, memory or another queue than there is',
    fix: (cancel) =>
      `Cancel them (${cancel}) and submit again asking for what a queue offers (qconf -sq all.q, qconf -sp <pe> and qhost -F list slots and resources).`,
  },
];

/**
 * PBS Professional's job comment (pbs-scheduler.ts): "Can Never Run: …" is the scheduler finding
 * that no node or queue can ever satisfy the request ("Not Running: …" clears); a system hold after
 * too many failed starts waits for qrls. Torque and Slurm's PBS wrappers give no reason.
 */
const PBS: NeverClears[] = [
  {
    pattern: /^Can Never Run\b/,
    why: 'the PBS scheduler says no node or queue can ever run it as asked',
    fix: (cancel) =>
      `Cancel them (${cancel}) and submit again asking for what the nodes and queue have (pbsnodes -a, qstat -Qf).`,
  },
  {
    pattern: /^job held, too many failed attempts to run/,
    why: 'PBS held the job after it failed to start too many times; it runs again only after qrls',
    fix: (cancel, job) =>
      `The job's output and the MoM logs say why it did not start: fix that and qrls ${job}, or cancel the jobs (${cancel}) and submit again.`,
  },
];

const NEVER_CLEARS: NeverClears[] = [...SLURM, ...SGE, ...PBS];

const find = (reason: string | undefined) =>
  reason ? NEVER_CLEARS.find((r) => r.pattern.test(reason)) : undefined;

/** Why a queued partition will never start, or undefined when its reason may clear. */
export function neverClears(reason: string | undefined): string | undefined {
  return find(reason)?.why;
}

/** What to do about a reason that never clears (the E_JOBS_STUCK hint), for one of its jobs. */
export function whatToDo(reason: string | undefined, cancel: string, job: string): string | undefined {
  return find(reason)?.fix(cancel, job);
}

/** The partitions of a submission queued for a reason that cannot clear. */
export function stuckPartitions(state: SubmissionState): PartitionState[] {
  return state.partitions.filter((p) => p.state === 'queued' && neverClears(p.reason) !== undefined);
}
