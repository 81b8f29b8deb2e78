// Kept light on purpose: this starts once per array task on compute nodes. No handlebars, no yaml.
import { EXIT_CODES, usageError } from '../errors.js';
import { resolvePartitionIndex } from '../exec/partition-index.js';
import { runPartition, type PartitionResult } from '../exec/run-partition.js';
import { StopSignal } from '../exec/stop-signal.js';
import { readPlan } from '../plan/read.js';
import { durationFlag } from '../spec/duration.js';
import { optionalPositiveInt, positiveInt } from './args.js';
import { note, plural, printJson, Progress } from './output.js';

interface Options {
  nprocs?: string;
  maxFails?: string;
  skipFailures?: boolean;
  oneBased?: boolean;
  indexVar?: string;
  indexOffset: string;
  bindGpus?: boolean;
  grace: string;
  waitPrerequisites: string;
  logLimit: string;
  json?: boolean;
  balance?: boolean;
}

export default async function runPartitionCommand(
  planDir: string,
  stage: string,
  nArg: string,
  iArg: string,
  opts: Options,
): Promise<number> {
  const n = positiveInt('N', nArg);
  if (!/^\d+$/.test(opts.indexOffset))
    throw usageError(`--index-offset must be a non-negative integer, got '${opts.indexOffset}'`);
  const index = resolvePartitionIndex(iArg, process.env, {
    indexVar: opts.indexVar,
    oneBased: opts.oneBased,
    offset: Number(opts.indexOffset),
  });
  const plan = readPlan(planDir);
  // A stage with its own partition count is split into that many (N is the default of the others).
  const own = plan.file.stages.find((s) => s.name === stage)?.partitions;
  const stop = new StopSignal();
  const uninstall = stop.installProcessHandlers();
  const progress = new Progress();
  let result: PartitionResult;
  try {
    result = await runPartition(plan, {
      stage,
      n,
      index,
      nprocs: optionalPositiveInt('--nprocs', opts.nprocs),
      maxFails: optionalPositiveInt('--max-fails', opts.maxFails),
      skipFailures: opts.skipFailures,
      bindGpus: opts.bindGpus,
      grace: durationFlag('--grace', opts.grace),
      prerequisiteWait: durationFlag('--wait-prerequisites', opts.waitPrerequisites),
      logLimit: positiveInt('--log-limit', opts.logLimit),
      balance: opts.balance,
      stop,
      // Task output echoed for the job's log (the Saturn layout) must not mix into --json's stdout.
      ...(opts.json ? { jobLog: { stdout: process.stderr, stderr: process.stderr } } : {}),
      onProgress: (p) =>
        progress.update(
          `${stage} ${index}/${own ?? n}: ${p.done}/${p.total} done, ${p.running} running, ${p.failed} failed`,
        ),
    });
  } finally {
    progress.done();
    uninstall();
  }
  if (opts.json) printJson(result);
  else note(summary(result));
  if (result.signal) return stop.exitCode();
  return result.failed > 0 || result.notStarted || result.blocked || result.failedLeft
    ? EXIT_CODES.E_TASKS_FAILED
    : 0;
}

export function summary(r: PartitionResult): string {
  const parts = [`${r.succeeded} succeeded`];
  if (r.skipped) parts.push(`${r.skipped} already done`);
  if (r.failed) parts.push(`${r.failed} failed`);
  if (r.interrupted) parts.push(`${r.interrupted} interrupted`);
  if (r.failedLeft) parts.push(`${r.failedLeft} failed earlier, left alone (--skip-failures)`);
  if (r.notStarted)
    parts.push(`${r.notStarted} not started: the stage has reached --max-fails ${r.maxFails} failed tasks`);
  if (r.blocked) parts.push(`${r.blocked} blocked`);
  const head = `stage ${r.stage} partition ${r.partition}/${r.partitions} (tasks ${r.start}..${r.end - 1}): ${plural(r.tasks, 'task')}`;
  return `${head}: ${parts.join(', ')}${r.signal ? `; stopped by ${r.signal}` : ''}`;
}
