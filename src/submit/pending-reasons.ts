// Why a queued partition waits, and whether that can ever clear by itself. A job Slurm accepted but
// can never start (it asks for more CPUs than any node of its partition has: `PartitionConfig`; a
// node that is not there: `ReqNodeNotAvail`) stays PENDING forever; `wait` stops on such a reason
// instead of waiting for ever, and `status` names it.
import type { PartitionState, SubmissionState } from './scheduler-state.js';

/**
 * Slurm's pending reasons (squeue(1) "JOB REASON CODES") that no amount of waiting clears: the job
 * asks for what its partition, account or QOS cannot give, or what it needs will never come. Those
 * that clear as others' jobs end (Resources, Priority, Dependency, QOSGrp*, AssocGrp* …) are not here.
 */
const NEVER_CLEARS: { pattern: RegExp; why: string }[] = [
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
];

/** Why a queued partition will never start, or undefined when its reason may clear. */
export function neverClears(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  return NEVER_CLEARS.find((r) => r.pattern.test(reason))?.why;
}

/** The partitions of a submission queued for a reason that cannot clear. */
export function stuckPartitions(state: SubmissionState): PartitionState[] {
  return state.partitions.filter((p) => p.state === 'queued' && neverClears(p.reason) !== undefined);
}
