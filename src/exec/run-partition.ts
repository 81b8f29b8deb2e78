// run-partition: run one partition of one stage with at most P tasks at once, skipping tasks that
// already succeeded, retrying with backoff, and recording every attempt in a durable journal.
import { basename, join } from 'node:path';
import { actualPartitions, checkedSlice, checkedStageSlice, stageN } from '../plan/partition.js';
import { findStage, readTasks, type Plan } from '../plan/read.js';
import type { PlanStage, TaskRecord } from '../plan/model.js';
import { loadStageStatus, rangeResetTimes } from '../status/load.js';
import { readResets } from '../status/resets.js';
import { JournalWriter } from '../status/journal-writer.js';
import { startAttempt, type AttemptResult, type RunningAttempt } from './attempt.js';
import { chooseLauncher } from './open-launcher.js';
import { RESOURCE_ERRORS } from './launcher.js';
import { allocatedCpus } from './resources.js';
import { bindSlotGpus } from './gpu-binding.js';
import type { StopSignal } from './stop-signal.js';
import type { AttemptHook, JobLog, PartitionHook, TaskHook } from './task-hook.js';
import { TASK_HOOKS } from './task-hooks.js';
import { BatchplanError } from '../errors.js';
import { thisHost } from '../status/journal-reader.js';
import { ensureRealDir } from '../status/real-dir.js';
import { emptyCgroup, TaskCgroups } from './cgroup.js';
import { RUN_ENV, stopLeftovers } from './leftovers.js';
import { PeerJournals } from './peers.js';
import { StageFailures } from './max-fails.js';
import { stageResetTimes } from '../status/resets.js';
import { Prerequisites } from './prerequisites.js';
import { balanceMode, openBalancer, type BalanceSummary } from './balance-hook.js';
import type { TaskOutcome, Unit } from './balance-unit.js';
import { urgentFirst } from './urgent-first.js';
import { watchForWinner } from './balance-backup.js';

export interface RunPartitionOptions {
  stage: string;
  /**
   * Partitions asked for, and this one's zero-based index. N is the default: a stage that sets its
   * own count (plan.json `partitions`) is split into that many, whatever N the script passed.
   */
  n: number;
  index: number;
  /** Split the stage into exactly `n`, its own count aside (`run`: each stage as one partition). */
  exactN?: boolean;
  nprocs?: number;
  /** Launch no more of the stage's tasks once this many have failed (max-fails.ts); over the plan's. */
  maxFails?: number;
  /** Leave tasks that failed in an earlier run alone (Saturn's --skip-failures): not run again. Or the stage's skip_failures. */
  skipFailures?: boolean;
  /** Bind GPUs even if the stage sets no gpus_per_slot: every visible GPU dealt to the slots. */
  bindGpus?: boolean;
  /** Seconds between SIGTERM and SIGKILL when stopping tasks. */
  grace?: number;
  /** Bytes of stdout and of stderr kept per attempt. */
  logLimit?: number;
  env?: NodeJS.ProcessEnv;
  stop: StopSignal;
  /** Task environments (task-hook.ts); the registered ones by default. */
  hooks?: readonly TaskHook[];
  /** Where hooks echo task output (the job's log): this process's stdout and stderr by default. */
  jobLog?: JobLog;
  onProgress?: (p: PartitionProgress) => void;
  /**
   * Seconds a task waits for the tasks it requires (prerequisites.ts) while a live run-partition
   * runs or will run them, before it is recorded blocked; Infinity to wait as long as they take.
   */
  prerequisiteWait?: number;
  /** Share the stage's work with its other partitions (balance.ts); else BATCHPLAN_BALANCE, else the plan's. */
  balance?: boolean;
}

export interface PartitionProgress {
  total: number;
  done: number;
  running: number;
  failed: number;
}

export interface PartitionResult {
  stage: string;
  partition: number;
  partitions: number;
  /** Stage-relative task range [start, end). */
  start: number;
  end: number;
  tasks: number;
  /** Succeeded in an earlier run, so not run again. */
  skipped: number;
  succeeded: number;
  failed: number;
  interrupted: number;
  /** Tasks not started because the stage reached its max-fails (set only then). */
  notStarted?: number;
  maxFails?: number;
  /** Failed in an earlier run and left alone (--skip-failures; set only then): still failed. */
  failedLeft?: number;
  /** Not started because a task they require did not succeed (only for stages with `requires`). */
  blocked?: number;
  /** Attempts stopped because another copy of their task (a backup) succeeded first. */
  superseded?: number;
  nprocs: number;
  signal?: NodeJS.Signals;
  journal?: string;
  /** How tasks were started, and why (set when any task ran). */
  launcher?: { name: 'spawn' | 'native'; reason: string };
  /** Balanced mode: the chunks this partition claimed and the tasks it ran for others. */
  balance?: BalanceSummary;
}

/**
 * --skip-failures (or the stage's skip_failures) with a balanced stage: refused here, and by
 * generate-script, submit and plan before anything is written, in the same words.
 */
export function skipFailuresBalanced(stage: string, from: 'flag' | 'spec'): BatchplanError {
  return new BatchplanError(
    'E_USAGE',
    `--skip-failures does not apply to balanced partitions (stage ${stage}${from === 'spec' ? ', skip_failures in the spec' : ''})`,
    from === 'spec'
      ? 'Run this stage static (--no-balance, or BATCHPLAN_BALANCE=0), or drop skip_failures from the spec.'
      : 'Run this stage static (--no-balance, or BATCHPLAN_BALANCE=0), or drop --skip-failures.',
  );
}

export const DEFAULT_GRACE = 10;
export const DEFAULT_LOG_LIMIT = 8 << 20;
const MAX_BACKOFF = 600;
/** How long launches may keep failing for lack of resources, with nothing running, before giving up. */
const STARVED_MS = 30_000;

export async function runPartition(plan: Plan, opts: RunPartitionOptions): Promise<PartitionResult> {
  const { stage, index: stageIndex } = findStage(plan, opts.stage);
  const env = opts.env ?? process.env;
  // The N this stage is really split into: its own count wins over the one passed (partition.ts).
  const n = opts.exactN ? opts.n : stageN(stage, opts.n);
  const slice = opts.exactN
    ? checkedSlice(stage.name, stage.tasks, n, opts.index)
    : checkedStageSlice(stage, opts.n, opts.index);
  // A stage with gpus_per_slot (or --bind-gpus) gets its GPUs per slot, checked before anything
  // runs so that a wrong request fails the same way every time; its GPUs may decide the slot count.
  const gpus = bindSlotGpus(
    { ...env, ...stage.env },
    {
      stage: stage.name,
      gpusPerSlot: stage.gpusPerSlot,
      bind: opts.bindGpus,
      nprocs: opts.nprocs ?? stage.nprocs,
      defaultSlots: () => allocatedCpus(env),
    },
  );
  const nprocs = gpus?.nprocs ?? opts.nprocs ?? stage.nprocs ?? allocatedCpus(env);
  const result: PartitionResult = {
    stage: stage.name,
    partition: opts.index,
    partitions: actualPartitions(stage.tasks, n),
    ...slice,
    tasks: slice.end - slice.start,
    skipped: 0,
    succeeded: 0,
    failed: 0,
    interrupted: 0,
    nprocs,
  };

  const resets = readResets(plan.dir);
  const loaded = loadStageStatus(plan.dir, stageIndex, stage.tasks, slice, resets);
  const prior = loaded.status;
  const records = readTasks(plan, stage, slice.start, slice.end);
  // Copied once, not per task (performance): spreading process.env goes through a getter per
  // variable, which cost more than the rest of taskEnv together.
  const stageEnv: NodeJS.ProcessEnv = { ...env, ...stage.env };
  const stageResults = join(plan.dir, 'results', `stage-${stageIndex}`);
  const hooks = openHooks(opts.hooks ?? TASK_HOOKS, {
    records,
    stageResults,
    env: stageEnv,
    jobLog: opts.jobLog ?? process,
  });
  const gate = Prerequisites.open(plan, stageIndex, slice, resets, opts.prerequisiteWait);
  if (stage.requires) result.blocked = 0;
  const balanced = balanceMode(opts.balance, env, stage.balance);
  const skipFailures = opts.skipFailures || stage.skipFailures === true;
  if (skipFailures) {
    // Balanced partitions run each other's tasks, which this partition's view cannot leave alone.
    if (balanced) throw skipFailuresBalanced(stage.name, opts.skipFailures ? 'flag' : 'spec');
    result.failedLeft = 0;
  }
  const todo: number[] = [];
  records.forEach((rec, k) => {
    if (prior.isSucceeded(k) || hooks.some((h) => h.done?.(rec, prior.resetTime(k)))) result.skipped++;
    else if (skipFailures && prior.stateOf(k) === 'failed') result.failedLeft!++;
    else todo.push(k);
  });
  if ((todo.length === 0 && !balanced) || opts.stop.signal) {
    await Promise.all(hooks.map((h) => h.close()));
    if (opts.stop.signal) result.signal = opts.stop.signal;
    return result;
  }

  const { launcher, reason } = chooseLauncher(stageEnv);
  result.launcher = { name: launcher.name, reason };
  const journal = new JournalWriter(plan.dir, stageIndex, stage.name, slice);
  result.journal = journal.journalPath;
  stageEnv[RUN_ENV] = basename(journal.journalPath, '.jsonl');
  const cgroups = TaskCgroups.open(stageEnv[RUN_ENV]!, stageEnv); // per-task cgroups, where allowed
  const graceMs = (opts.grace ?? DEFAULT_GRACE) * 1000;
  // What a dead run of this partition on this host left running is stopped before its tasks run
  // again, so that no task runs twice at once.
  const deadRuns = loaded.journals.filter(
    (f, j) => !loaded.live[j] && !loaded.closed[j] && f.host === thisHost,
  );
  if (deadRuns.length > 0)
    await stopLeftovers(
      deadRuns.map((f) => f.base),
      graceMs,
    );
  const peers = new PeerJournals(
    plan.dir,
    stageIndex,
    slice,
    journal.journalPath,
    loaded.journals.map((file, j) => ({ file, live: loaded.live[j]! })),
    rangeResetTimes(resets, stageIndex, stage.tasks, slice),
  );
  const maxFails = opts.maxFails ?? stage.maxFails;
  const failures =
    maxFails === undefined
      ? undefined
      : new StageFailures(
          plan.dir,
          stageIndex,
          stage.tasks,
          maxFails,
          journal.journalPath,
          stageResetTimes(resets, stageIndex, stage.tasks),
        );
  /** Attempts recorded by this run per task (withdrawn ones included), so numbers never repeat. */
  const recorded = new Map<number, number>();
  const look = async (peers: PeerJournals) => {
    peers.refresh();
    const dead = peers.takeDead();
    if (dead.length > 0) await stopLeftovers(dead, graceMs);
  };
  let stageResultsMade = false;
  const running = new Set<RunningAttempt>();
  const onStop = () => running.forEach((a) => a.stop());
  opts.stop.on(onStop);
  // A fault (the disk is full, a journal cannot be written, tasks cannot start for lack of file
  // descriptors): launch nothing more, stop what runs (its end records still fit, see
  // journal-writer.ts), close the journal, and report the fault rather than a result.
  let fault: unknown;
  const halt = (err: unknown) => {
    fault ??= err;
    onStop();
  };
  const halted = () => opts.stop.signal !== undefined || fault !== undefined;
  /** Launches in a row that found no file descriptors, processes or memory, and since when. */
  let starved = 0;
  let starvedSince = 0;
  const progress = { total: todo.length, done: 0, running: 0, failed: 0 };

  const count = <W extends TaskOutcome>(what: W): W => {
    result[what] = (result[what] ?? 0) + 1;
    return what;
  };
  const main: Unit = { ...slice, records, prior, journal, peers, hooks, env: stageEnv, gate, cgroups };
  /**
   * 'held' when a live copy of the partition is working on the task, 'waiting' when tasks it
   * requires may still succeed elsewhere: try it again later.
   */
  const runTask = async (u: Unit, k: number, slot: number): Promise<TaskOutcome | 'held' | 'waiting'> => {
    const { journal, peers, hooks } = u;
    const rec = u.records[k]!;
    const i = u.start + k;
    const open = u.gate?.gate(k);
    if (open === 'wait') return 'waiting';
    if (open !== undefined && open !== 'ready') {
      await look(peers);
      if (peers.isSucceeded(i)) return count('skipped');
      if (peers.isHeld(i)) return 'held';
      const a = u.prior.attemptsOf(k) + (recorded.get(i) ?? 0);
      const why = { stdout: Buffer.alloc(0), stderr: Buffer.from(`batchplan: blocked: ${open.blocked}\n`) };
      journal.ended({ i, a, st: 'blocked', rc: null, d: 0 }, why);
      return count('blocked');
    }
    const retries = rec.retries ?? stage.retries;
    const backoff = rec.backoff ?? stage.backoff;
    for (let attempt = 1; ; attempt++) {
      await look(peers);
      if (peers.isSucceeded(i)) return count('skipped');
      if (peers.isHeld(i) && !u.backup) return 'held';
      const n = (recorded.get(i) ?? 0) + 1;
      recorded.set(i, n);
      const a = u.prior.attemptsOf(k) + n;
      journal.started(i, a);
      failures?.started(i, Date.now());
      // Looked at again after our start record: see peers.ts for why this is enough.
      peers.refresh();
      if (peers.isSucceeded(i) || (peers.isHeld(i) && !u.backup)) {
        journal.ended({ i, a, st: 'interrupted', rc: null, d: 0 }, NO_OUTPUT);
        if (peers.isSucceeded(i)) return count('skipped');
        return 'held';
      }
      const extra = hooks.length ? await attemptHooks(hooks, rec, { i, attempt: a, slot }) : undefined;
      const resultsDir = extra?.resultsDir ?? stageResults;
      if (!extra?.resultsDir && !stageResultsMade) {
        ensureRealDir(plan.dir, stageResults);
        stageResultsMade = true;
      }
      const cgroup = u.cgroups?.acquire(slot);
      const run = startAttempt(launcher, {
        ...(cgroup ? { cgroup } : {}),
        cmd: rec.cmd,
        shell: stage.shell,
        cwd: rec.cwd ?? stage.cwd,
        timeout: rec.timeout ?? stage.timeout,
        grace: opts.grace ?? DEFAULT_GRACE,
        logLimit: opts.logLimit ?? DEFAULT_LOG_LIMIT,
        env: taskEnv(u.env, stage, rec, {
          partition: opts.index,
          attempt: a,
          slot,
          resultsDir,
          gpus: gpus?.slotEnv[slot],
          extra: extra?.env,
        }),
        ...(extra?.onStdout ? { onStdout: extra.onStdout } : {}),
        ...(extra?.onStderr ? { onStderr: extra.onStderr } : {}),
      });
      running.add(run);
      progress.running++;
      // With backups on, a copy that another copy beat to success is stopped (balance-backup.ts).
      const watched = u.watch
        ? await watchForWinner(
            run.done,
            () => (peers.refresh(), peers.isSucceeded(i)),
            () => run.stop(),
          )
        : { res: await run.done, superseded: false };
      let res = watched.res;
      const superseded = watched.superseded;
      running.delete(run);
      // A timed-out or stopped task may have left processes outside its process group (setsid
      // daemons): everything in its cgroup, and those that kept its environment, are stopped too.
      if (res.timedOut || res.state === 'interrupted') {
        if (cgroup) await emptyCgroup(cgroup, graceMs);
        await stopLeftovers([u.env[RUN_ENV]!], graceMs, [
          `BATCHPLAN_TASK_ID=${rec.id}`,
          `BATCHPLAN_ATTEMPT=${a}`,
        ]);
      }
      if (extra?.ended) res = withHookFailure(res, await extra.ended(res));
      progress.running--;
      if (superseded) {
        journal.ended({ i, a, st: 'superseded', rc: res.exitCode, d: Math.round(res.durationMs) }, res);
        return count('superseded');
      }
      if (res.startError && RESOURCE_ERRORS.has(res.startError)) {
        // Not the task's failure: this process is out of file descriptors, processes or memory.
        // Recorded as not run, and tried again once running tasks have given some back.
        journal.ended({ i, a, st: 'interrupted', rc: null, d: 0 }, NO_OUTPUT);
        if (starved++ === 0) starvedSince = Date.now();
        if (running.size === 0 && Date.now() - starvedSince > STARVED_MS)
          halt(
            new BatchplanError(
              'E_IO',
              `cannot start tasks: ${res.startError} (${res.stderr.toString().trim()}), ${starved} times in ${Math.round((Date.now() - starvedSince) / 1000)} s, with no task running`,
              'Raise the limit (ulimit -n for EMFILE, ulimit -u for EAGAIN), or lower --nprocs.',
            ),
          );
        if (halted()) return count('interrupted');
        await opts.stop.sleep(50 + Math.random() * Math.min(25 * starved, 1000));
        if (halted()) return count('interrupted');
        attempt--;
        continue;
      }
      starved = 0;
      // A failure is the task's last unless a retry is left and the stage is under its max-fails.
      const retrying = res.state === 'failed' && attempt <= retries && !halted() && !failures?.reached();
      journal.ended({ ...endRecord(i, a, res), ...(retrying ? { rt: 1 as const } : {}) }, res);
      failures?.ended(i, Date.now(), res.state, retrying);
      if (journal.diskFull) halt(journal.diskFull);
      if (res.state === 'succeeded') return count('succeeded');
      if (res.state === 'interrupted' || halted()) return count('interrupted');
      if (!retrying) return count('failed');
      await opts.stop.sleep(Math.min(backoff * 2 ** (attempt - 1), MAX_BACKOFF) * 1000);
      if (halted()) return count('interrupted');
    }
  };

  let cursor = 0;
  /** Tasks a live copy was working on when their turn came. */
  const later: number[] = [];
  /** Tasks held back because the stage reached its max-fails; taken up if it falls under again. */
  const held: number[] = [];
  const worker = async (slot: number) => {
    while (!halted()) {
      const fresh = cursor < todo.length;
      const k = fresh
        ? todo[cursor++]
        : (later.shift() ?? (held.length && !failures!.reached() ? held.shift() : undefined));
      if (k === undefined) break;
      if (failures && !failures.mayLaunch(slice.start + k)) {
        held.push(k);
        continue;
      }
      let outcome: TaskOutcome | 'held' | 'waiting';
      try {
        outcome = await runTask(main, k, slot);
      } catch (err) {
        halt(err); // a journal that cannot be written: the other slots stop too
        break;
      }
      if (outcome === 'held' || outcome === 'waiting') {
        later.push(k);
        // Only held or waiting tasks are left: wait for their copy to finish or die (a random
        // pause, so that two copies that withdrew from the same task do not meet again), or for
        // the tasks they require.
        if (!fresh || cursor >= todo.length)
          await opts.stop.sleep(
            outcome === 'waiting' ? 250 + Math.random() * 250 : 100 + Math.random() * 200,
          );
        continue;
      }
      progressed();
    }
  };
  const progressed = () => {
    progress.done++;
    progress.total = Math.max(progress.total, progress.done);
    progress.failed = result.failed;
    opts.onProgress?.(progress);
  };
  const balancer = balanced
    ? openBalancer({
        ...{ plan, stage, stageIndex, n, index: opts.index, main, graceMs, stageEnv },
        stopSleep: (ms) => opts.stop.sleep(ms),
        slots: nprocs,
        openHooks: (recs) =>
          openHooks(opts.hooks ?? TASK_HOOKS, {
            records: recs,
            stageResults,
            env: stageEnv,
            jobLog: opts.jobLog ?? process,
          }),
        openGate: (range) => Prerequisites.open(plan, stageIndex, range, resets, opts.prerequisiteWait),
      })
    : undefined;
  try {
    await urgentFirst(plan, stageIndex, stage, slice, opts.stop, resets);
    if (balancer) {
      opts.stop.on(balancer.giveBack);
      await Promise.all(
        Array.from({ length: nprocs }, (_, slot) =>
          balancer.work(runTask, halted, halt, slot, progressed, failures && ((i) => failures.mayLaunch(i))),
        ),
      );
    } else
      await Promise.all(Array.from({ length: Math.min(nprocs, todo.length) }, (_, slot) => worker(slot)));
  } finally {
    opts.stop.off(onStop);
    if (balancer) {
      opts.stop.off(balancer.giveBack);
      try {
        result.balance = await balancer.close();
      } catch (err) {
        fault ??= err;
      }
    }
    await Promise.all(hooks.map((h) => h.close()));
    await launcher.close();
    cgroups?.close();
    try {
      await journal.close();
    } catch (err) {
      fault ??= err;
    }
  }
  if (fault) throw fault;
  if (opts.stop.signal) result.signal = opts.stop.signal;
  if (held.length) Object.assign(result, { notStarted: held.length, maxFails });
  return result;
}

interface SlotInfo {
  partition: number;
  attempt: number;
  slot: number;
  resultsDir: string;
  /** The slot's GPU variables (gpu-binding.ts), when the stage binds GPUs. */
  gpus: Record<string, string> | undefined;
  extra: Record<string, string> | undefined;
}

/** `stageEnv` is the partition's environment with the stage's env already over it. */
function taskEnv(
  stageEnv: NodeJS.ProcessEnv,
  stage: PlanStage,
  rec: TaskRecord,
  s: SlotInfo,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...stageEnv,
    ...rec.env,
    BATCHPLAN_TASK_ID: rec.id,
    BATCHPLAN_STAGE: stage.name,
    BATCHPLAN_PARTITION: String(s.partition),
    BATCHPLAN_ATTEMPT: String(s.attempt),
    BATCHPLAN_LOCAL_RANK: String(s.slot),
    BATCHPLAN_RESULTS_DIR: s.resultsDir,
    ...s.extra,
    ...s.gpus,
  };
  return env;
}

const NO_OUTPUT = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

function endRecord(i: number, a: number, res: AttemptResult) {
  return {
    i,
    a,
    st: res.state,
    rc: res.exitCode,
    d: Math.round(res.durationMs),
    ...(res.signal ? { sig: res.signal } : {}),
    ...(res.timedOut ? { to: 1 as const } : {}),
  };
}

function openHooks(hooks: readonly TaskHook[], p: Parameters<TaskHook['open']>[0]): PartitionHook[] {
  return hooks.flatMap((h) => h.open(p) ?? []);
}

/** One attempt's hooks merged (in practice there is one). */
async function attemptHooks(
  hooks: PartitionHook[],
  rec: TaskRecord,
  info: Parameters<PartitionHook['attempt']>[1],
): Promise<AttemptHook | undefined> {
  if (hooks.length === 1) return hooks[0]!.attempt(rec, info);
  const all = (await Promise.all(hooks.map((h) => h.attempt(rec, info)))).filter((x) => x !== undefined);
  if (all.length <= 1) return all[0];
  const each = <K extends 'onStdout' | 'onStderr'>(key: K) => {
    const fns = all.flatMap((x) => x[key] ?? []);
    return fns.length ? { [key]: (b: Buffer) => fns.forEach((f) => f(b)) } : {};
  };
  return {
    resultsDir: all.find((x) => x.resultsDir)?.resultsDir,
    env: Object.assign({}, ...all.map((x) => x.env)),
    ...each('onStdout'),
    ...each('onStderr'),
    async ended(res) {
      const reasons = await Promise.all(all.map((x) => x.ended?.(res)));
      return reasons.find((r) => r !== undefined);
    },
  };
}

/** A succeeded attempt whose hook failed (e.g. its upload) is a failed one, the reason in its stderr. */
function withHookFailure(res: AttemptResult, reason: string | undefined): AttemptResult {
  if (reason === undefined || res.state !== 'succeeded') return res;
  return {
    ...res,
    state: 'failed',
    stderr: Buffer.concat([res.stderr, Buffer.from(`batchplan: ${reason}\n`)]),
  };
}
