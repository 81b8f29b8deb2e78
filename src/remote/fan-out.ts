// --runner ssh: one stage's partitions dealt across hosts, each running as many at once as its
// slot count says, with no scheduler. One connection per host (ssh2 or the system ssh, behind the
// same transport as --remote), reused by every partition sent there.
//
// No orphans: each remote run-partition is watched by a few lines of shell whose stdin is the
// connection; at its EOF (the connection died, or we closed it on Ctrl-C) the partition gets
// SIGTERM, the stop a scheduler sends, and ends interrupted and resumable. A host that drops
// mid-run has its partitions given to the hosts that are left (two copies of a partition share
// its tasks safely: docs/guarantees.md); one that never comes back is reported.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { BatchplanError } from '../errors.js';
import { stagePartitions } from '../plan/partition.js';
import { PLAN_FILE } from '../plan/format.js';
import { readPlan } from '../plan/read.js';
import { shellQuote } from '../util/shell-quote.js';
import { VERSION } from '../version.js';
import type { Host } from './hosts.js';
import { watchParent } from './parent-watch.js';
import { partitionsToRun, rangesText } from './partitions-to-run.js';
import { runPartitionArgs } from '../runners/run-partition-flags.js';
import { checkRemoteVersion } from './remote-batchplan.js';
import { pullStatus, pushPlan, syncTarget } from './sync.js';
import { stoppedAtEof } from './watched.js';
import {
  commandLine,
  endStdin,
  type ExecIo,
  type ExecResult,
  type RemoteTransport,
} from './remote-transport.js';

export interface FanOutOptions {
  /** Absolute: the same path on every host. */
  planDir: string;
  stage: string;
  n: number;
  nprocs?: number;
  /** run-partition --skip-failures; a partition whose only unfinished tasks failed is not sent out. */
  skipFailures?: boolean;
  hosts: Host[];
  /** Shell code that runs batchplan on the hosts (default `batchplan`). */
  hostBatchplan: string;
  /** Shell code that runs batchplan here, for `:`. */
  localBatchplan: string;
  ssh: 'ssh2' | 'openssh';
  acceptNewHostKey?: boolean;
  /** The script that started us: when it ends (even by SIGKILL), stop as on SIGHUP. */
  parentPid?: number;
  /** No shared file system: each host works on its own copy of the plan under this directory
   *  there (src/remote/sync.ts). */
  sync?: string;
}

type State = 'up' | 'reconnecting' | 'gone';

interface HostRun {
  host: Host;
  t?: RemoteTransport;
  state: State;
  busy: number;
  ran: number[];
  /** With --sync: its copy of the plan, and the pulls from it, one at a time. */
  dir?: string;
  pulls?: Promise<unknown>;
}

const say = (m: string) => process.stderr.write(`batchplan: ${m}\n`);

/** Shell code for one partition there: run-partition, stopped with SIGTERM when stdin (the
 *  connection) reaches EOF; its exit status is the script's. */
export function partitionLine(command: string, args: string[]): string {
  return `BATCHPLAN_EXPECT_VERSION=${shellQuote(VERSION)}; export BATCHPLAN_EXPECT_VERSION\n${stoppedAtEof(`${command} ${commandLine(args)}`)}`;
}

/** `:` runs here: the same lines under sh, leading a process group of its own. */
function localExec(line: string, io: ExecIo): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => io.stdout?.(b));
    child.stderr.on('data', (b: Buffer) => io.stderr?.(b));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code, sig) =>
      resolve({
        exitCode: code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0),
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
      }),
    );
    endStdin(io, (d) => child.stdin.end(d ?? ''));
  });
}

/** Output of several hosts at once, whole lines each, prefixed with the host. */
function lines(prefix: string, write: (s: string) => void) {
  let rest = '';
  return {
    data: (b: Buffer) => {
      const text = rest + b.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      if (cut) write(text.slice(0, cut).replace(/^(?=.)/gm, prefix));
    },
    flush: () => rest && write(`${prefix}${rest}\n`),
  };
}

async function open(o: FanOutOptions, host: Host): Promise<RemoteTransport> {
  const opts = { acceptNewHostKey: o.acceptNewHostKey === true };
  if (o.ssh === 'openssh') return (await import('./openssh-transport.js')).openOpenSsh(host.dest!, opts);
  return (await import('./ssh2-transport.js')).openSsh2(host.dest!, opts);
}

/** Connect and check a host: the same batchplan version, and this very plan at the same path. */
async function prepare(o: FanOutOptions, h: HostRun, planBytes: Buffer): Promise<void> {
  if (!h.host.dest) return;
  h.t = await open(o, h.host);
  await checkRemoteVersion({ t: h.t, command: o.hostBatchplan, label: h.host.label });
  if (o.sync !== undefined) {
    h.dir = await syncTarget(h.t, o.sync, o.planDir, planBytes);
    const r = await pushPlan(h.t, o.planDir, planBytes, h.dir);
    h.pulls = Promise.resolve();
    say(
      `${h.host.label}: ${r.planCopied ? 'plan copied to' : 'its copy is'} ${h.dir}` +
        (r.journals ? `, ${r.journals} journal(s) sent` : ''),
    );
    return;
  }
  const file = join(o.planDir, PLAN_FILE);
  let there: Buffer | undefined;
  let why = 'another plan is at that path there';
  try {
    there = await h.t.readFile(file);
  } catch (err) {
    if (err instanceof BatchplanError && err.code.startsWith('E_SSH')) throw err;
    why = (err as { code?: string }).code === 'ENOENT' ? 'no plan there' : (err as Error).message;
  }
  if (!there || !there.equals(planBytes))
    throw new BatchplanError(
      'E_PLAN_NOT_FOUND',
      `${h.host.label} cannot see the plan at ${o.planDir}: ${why}`,
      '--runner ssh needs the plan directory at the same path on every host (a shared file system). Without one, generate the script with --host-sync DIR (run-hosts --sync DIR): each host gets a copy under DIR and its journals and logs come back. Or take the host out of --hosts.',
    );
}

export async function fanOut(o: FanOutOptions): Promise<number> {
  const plan = readPlan(o.planDir);
  const st = plan.file.stages.find((s) => s.name === o.stage);
  if (!st) throw new BatchplanError('E_UNKNOWN_STAGE', `no stage '${o.stage}' in ${o.planDir}`);
  const partitions = stagePartitions(st, o.n); // its own count wins over N
  // A second run after a partial one: only partitions with a task not yet succeeded go out.
  const leave = o.skipFailures || st.skipFailures === true;
  const { open: toRun, failedLeft } = partitionsToRun(plan, plan.file.stages.indexOf(st), o.n, leave);
  const left = new Set(toRun);
  const done = [...Array(partitions).keys()].filter((p) => !left.has(p));
  // Failures left alone keep the stage unfinished: exit 1 as their run-partition would, so that the
  // script runs no later stage.
  if (failedLeft)
    say(`stage '${o.stage}': ${failedLeft} failed task(s) left alone (--skip-failures), not run again`);
  if (!toRun.length) {
    if (!failedLeft) say(`stage '${o.stage}': all ${partitions} partition(s) already done; nothing to run`);
    return failedLeft ? 1 : 0;
  }
  if (done.length)
    say(
      `stage '${o.stage}': partition(s) ${rangesText(done)} already done${failedLeft ? ' or left with failures alone' : ''}, skipped; running ${toRun.length} of ${partitions}`,
    );
  const planBytes = readFileSync(join(o.planDir, PLAN_FILE));
  const runs: HostRun[] = o.hosts.map((host) => ({ host, state: 'up', busy: 0, ran: [] }));

  // Connect to every host at once. One that cannot be reached is left out (it may be the one that
  // went away last time); any other refusal (key, login, version, plan) stops before anything runs.
  const prepared = await Promise.allSettled(runs.map((h) => prepare(o, h, planBytes)));
  for (const [k, r] of prepared.entries()) {
    if (r.status === 'fulfilled') continue;
    const err = r.reason as BatchplanError;
    if (err instanceof BatchplanError && err.code === 'E_SSH_CONNECT') {
      runs[k]!.state = 'gone';
      say(`${runs[k]!.host.label} left out: ${err.message.split('\n')[0]}`);
      continue;
    }
    await Promise.all(runs.map((h) => h.t?.close()));
    throw err;
  }
  if (runs.every((h) => h.state === 'gone'))
    throw new BatchplanError(
      'E_SSH_CONNECT',
      `none of the ${runs.length} host(s) can be reached; nothing of stage '${o.stage}' ran`,
      'Check --hosts, and that ssh works to each host (ssh host true).',
    );

  const stdin = new AbortController(); // closing it stops every partition (Ctrl-C)
  let stopped: NodeJS.Signals | undefined;
  const queue = [...toRun];
  const losses = new Map<number, number>();
  const results = new Map<number, { code: number; host: string }>();
  const unrun: number[] = [];
  let running = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));

  const stop = (sig: NodeJS.Signals, why: string = sig) => {
    if (stopped) return;
    stopped = sig;
    say(
      `${why}: stopping ${running} partition(s) of stage '${o.stage}' (they end interrupted; run again to resume)`,
    );
    stdin.abort();
    schedule();
  };
  const onSignal = (sig: NodeJS.Signals) => stop(sig);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const unwatch =
    o.parentPid === undefined
      ? () => undefined
      : watchParent(o.parentPid, () =>
          stop('SIGHUP', `the script that started run-hosts (pid ${o.parentPid}) ended`),
        );

  /** Bring back what grew in a host's copy (one pull at a time per host). */
  const pull = (h: HostRun): Promise<unknown> => {
    const next = h.pulls!.catch(() => undefined).then(() => pullStatus(h.t!, h.dir!, o.planDir));
    h.pulls = next;
    return next;
  };

  const lost = (h: HostRun, i: number, err: unknown) => {
    const times = (losses.get(i) ?? 0) + 1;
    losses.set(i, times);
    if (stopped) return;
    if (times >= runs.length) {
      unrun.push(i);
      say(`partition ${i} of '${o.stage}' lost its host ${times} time(s); not tried again`);
    } else queue.unshift(i);
    if (h.state !== 'up') return;
    h.state = 'reconnecting';
    say(`${h.host.label}: ${(err as Error).message.split('\n')[0]}; its partitions go to the other hosts`);
    // Reconnect in the background (with the transport's backoff); its slots come back when it does.
    void h
      .t!.exec('true', { idempotent: true })
      .then(
        () => {
          h.state = 'up';
          // What its partitions wrote before the drop counts.
          return pull(h).catch(() => undefined);
        },
        () => {
          h.state = 'gone';
          say(`${h.host.label} did not come back`);
        },
      )
      .finally(schedule);
  };

  const start = (h: HostRun, i: number) => {
    h.busy++;
    running++;
    const args = [
      'run-partition',
      ...runPartitionArgs(o),
      '--',
      h.dir ?? o.planDir,
      o.stage,
      String(o.n),
      String(i),
    ];
    const prefix = o.hosts.length > 1 ? `[${h.host.label}] ` : '';
    const out = lines(prefix, (s) => process.stdout.write(s));
    const err = lines(prefix, (s) => process.stderr.write(s));
    const io: ExecIo = { stdout: out.data, stderr: err.data, holdStdin: stdin.signal };
    const line = partitionLine(h.host.dest ? o.hostBatchplan : o.localBatchplan, args);
    (h.t ? h.t.exec(line, io) : localExec(line, io))
      // A partition whose journals do not come back ran for nothing here: lost, as on a drop.
      .then(async (r) => (h.dir ? (await pull(h), r) : r))
      .then(
        (r) => {
          results.set(i, { code: r.exitCode, host: h.host.label });
          h.ran.push(i);
        },
        (e: unknown) => {
          if (e instanceof BatchplanError && e.code === 'E_SSH_CONNECT') return lost(h, i, e);
          results.set(i, { code: e instanceof BatchplanError ? e.exitCode : 70, host: h.host.label });
          say(`${h.host.label}: partition ${i}: ${(e as Error).message}`);
        },
      )
      .finally(() => {
        out.flush();
        err.flush();
        h.busy--;
        running--;
        schedule();
      });
  };

  function schedule() {
    if (!stopped)
      for (const h of runs)
        while (h.state === 'up' && h.busy < h.host.slots && queue.length) start(h, queue.shift()!);
    const waiting = runs.some((h) => h.state === 'reconnecting');
    if (running === 0 && (stopped || !queue.length || !waiting)) finish();
  }
  schedule();
  await finished;
  await Promise.all(runs.map((h) => h.pulls?.catch(() => undefined)));
  for (const s of signals) process.off(s, onSignal);
  unwatch();
  await Promise.all(runs.map((h) => h.t?.close()));

  if (stopped) return 128 + (constants.signals[stopped] ?? 0);
  unrun.push(...queue);
  const failed = [...results].filter(([, r]) => r.code !== 0);
  const used = runs.filter((h) => h.ran.length).map((h) => `${h.host.label} ${h.ran.length}`);
  say(
    `stage '${o.stage}': ${results.size - failed.length} of ${toRun.length} partition(s) ran clean` +
      (used.length ? ` (${used.join(', ')})` : '') +
      (failed.length
        ? `; failed: ${failed.map(([i, r]) => `${i} on ${r.host} (exit ${r.code})`).join(', ')}`
        : ''),
  );
  if (unrun.length)
    throw new BatchplanError(
      'E_SSH_CONNECT',
      `partition(s) ${rangesText(unrun.sort((a, b) => a - b))} of stage '${o.stage}' did not run: their hosts went away`,
      'Their attempts are lost, not failed: run the script again when hosts are back (or with the hosts that are left).',
    );
  if (!failed.length) return failedLeft ? 1 : 0;
  const other = failed.find(([, r]) => r.code !== 1);
  return other ? other[1].code : 1;
}
