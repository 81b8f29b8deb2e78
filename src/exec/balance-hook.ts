// What run-partition calls in balanced mode: whether the mode is on, and a task pool that takes its
// tasks from a Balancer (balance.ts) instead of the partition's slice alone.
import { basename } from 'node:path';
import { BatchplanError } from '../errors.js';
import { Balancer, POLL_MS, type BalanceStats } from './balance.js';
import type { TaskOutcome, Unit, UnitContext } from './balance-unit.js';
import { ClaimDir } from './claims.js';
import { backupFactor, Stragglers } from './balance-backup.js';
import { RESOURCE_ERRORS } from './launcher.js';

export const BALANCE_ENV = 'BATCHPLAN_BALANCE';

export type BalanceSummary = BalanceStats;

/**
 * The flag when given, else BATCHPLAN_BALANCE (1/on/balanced or 0/off/static), else the stage's
 * `balance` in the plan, else static.
 */
export function balanceMode(
  flag: boolean | undefined,
  env: NodeJS.ProcessEnv,
  planned: boolean | undefined = undefined,
): boolean {
  if (flag !== undefined) return flag;
  const v = env[BALANCE_ENV]?.trim().toLowerCase();
  if (v === undefined || v === '') return planned ?? false;
  if (v === '0' || v === 'off' || v === 'static') return false;
  if (v === '1' || v === 'on' || v === 'balanced') return true;
  throw new BatchplanError(
    'E_USAGE',
    `${BALANCE_ENV}=${env[BALANCE_ENV]} is neither balanced (1, on, balanced) nor static (0, off, static)`,
    `Set ${BALANCE_ENV}=1 to share the stage's work between its partitions, 0 to run each partition's own slice only, or unset it (the plan's balance decides).`,
  );
}

export interface BalanceHookContext extends UnitContext {
  n: number;
  index: number;
  main: Unit;
  slots: number;
  /** Sleep that a stop request cuts short. */
  stopSleep(ms: number): Promise<void>;
}

type RunTask = (u: Unit, k: number, slot: number) => Promise<TaskOutcome | 'held' | 'waiting'>;

export interface BalancedPool {
  work(
    runTask: RunTask,
    halted: () => boolean,
    halt: (err: unknown) => void,
    slot: number,
    progressed: () => void,
    /** --max-fails: whether task i may start now (max-fails.ts); when not, this slot stops. */
    mayLaunch?: (i: number) => boolean,
  ): Promise<void>;
  /** A stop: give back what has not started (bound: usable as a stop listener). */
  giveBack: () => void;
  close(): Promise<BalanceSummary>;
}

export function openBalancer(ctx: BalanceHookContext): BalancedPool {
  const factor = backupFactor(ctx.stageEnv, ctx.stage.backup);
  // Both copies of a backed-up task must see the other's success: every unit watches.
  if (factor !== undefined) ctx.main.watch = true;
  const balancer = new Balancer({
    claims: new ClaimDir(ctx.plan.dir, ctx.stageIndex),
    n: ctx.n,
    index: ctx.index,
    stageTasks: ctx.stage.tasks,
    main: ctx.main,
    holder: basename(ctx.main.journal.journalPath, '.jsonl'),
    unitContext: ctx,
    slots: ctx.slots,
    stragglers:
      factor === undefined
        ? undefined
        : new Stragglers(ctx.plan.dir, ctx.stageIndex, ctx.stage.tasks, factor),
  });
  return {
    async work(runTask, halted, halt, slot, progressed, mayLaunch) {
      while (!halted()) {
        let item;
        try {
          item = await balancer.next();
        } catch (err) {
          // Out of file descriptors (the slots' tasks hold them): look again once some are back.
          if (!shortOf(err)) {
            halt(err);
            return;
          }
          item = 'wait' as const;
        }
        if (item === undefined) return;
        if (item === 'wait') {
          await ctx.stopSleep(POLL_MS * (0.6 + Math.random() * 0.8));
          continue;
        }
        if (mayLaunch && !mayLaunch(item.u.start + item.k)) {
          // The stage reached its max-fails: what is not started goes back for a later run.
          balancer.requeue(item);
          balancer.giveBack();
          return;
        }
        let outcome: TaskOutcome | 'held' | 'waiting';
        try {
          outcome = await runTask(item.u, item.k, slot);
        } catch (err) {
          halt(err);
          return;
        }
        if (outcome === 'held' || outcome === 'waiting') {
          // A live copy runs it, or what it requires may still succeed: later.
          balancer.requeue(item);
          await ctx.stopSleep(outcome === 'waiting' ? 250 + Math.random() * 250 : 100 + Math.random() * 200);
          continue;
        }
        try {
          balancer.finished(item, outcome);
        } catch (err) {
          halt(err);
          return;
        }
        progressed();
      }
    },
    giveBack: () => {
      try {
        balancer.giveBack();
      } catch {
        /* the claims go back anyway when this run's journal closes */
      }
    },
    async close() {
      await balancer.close();
      return balancer.stats;
    },
  };
}

function shortOf(err: unknown): boolean {
  const code = ((err as { cause?: NodeJS.ErrnoException }).cause ?? (err as NodeJS.ErrnoException))?.code;
  return code !== undefined && RESOURCE_ERRORS.has(code);
}
