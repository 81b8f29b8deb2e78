import { BatchplanError } from '../errors.js';
import { findTask } from '../plan/find-task.js';
import { readPlan } from '../plan/read.js';
import { taskHistory, readLog } from '../status/task-history.js';
import { optionalPositiveInt } from './args.js';
import { forTerminal } from '../util/terminal-safe.js';
import { writerAlive } from '../status/journal-reader.js';

interface Options {
  stdout?: boolean;
  stderr?: boolean;
  attempt?: string;
}

export default async function logs(planDir: string, id: string, opts: Options): Promise<number> {
  const plan = readPlan(planDir);
  const task = findTask(plan, id);
  const history = taskHistory(plan.dir, task.stageIndex, task.index);
  const wanted = optionalPositiveInt('--attempt', opts.attempt);
  const finished = history.filter((h) => h.end);
  const pick = wanted === undefined ? finished.at(-1) : finished.find((h) => h.attempt === wanted);
  if (!pick) {
    const running = history.at(-1);
    const why =
      wanted !== undefined
        ? `task '${id}' has no finished attempt ${wanted} (finished: ${finished.map((h) => h.attempt).join(', ') || 'none'})`
        : running?.start && !writerAlive(running.journal)
          ? `task '${id}' was lost: attempt ${running.attempt} started on ${running.journal.host} at ${new Date(running.start.t).toISOString()}, and its run-partition ended before it did (killed, or its node failed); no output was recorded`
          : running?.start
            ? `task '${id}' is running (attempt ${running.attempt} on ${running.journal.host} since ${new Date(running.start.t).toISOString()}); its output is recorded when the attempt ends`
            : `task '${id}' has not run yet`;
    throw new BatchplanError('E_UNKNOWN_TASK', why);
  }
  const end = pick.end!;
  const out = readLog(pick.journal, end.out);
  const err = readLog(pick.journal, end.err);
  if (opts.stdout || opts.stderr) {
    if (opts.stdout) process.stdout.write(forTerminal(process.stdout, out));
    if (opts.stderr) process.stdout.write(forTerminal(process.stdout, err));
    return 0;
  }
  process.stderr.write(
    `batchplan: task ${id}, attempt ${pick.attempt}: ${end.st}, exit ${end.rc ?? end.sig ?? '-'}${end.to ? ' (timed out)' : ''}, on ${pick.journal.host}\n`,
  );
  if (out.length)
    process.stdout.write(
      forTerminal(
        process.stdout,
        Buffer.concat([Buffer.from('--- stdout ---\n'), out, trailingNewline(out)]),
      ),
    );
  if (err.length)
    process.stdout.write(
      forTerminal(
        process.stdout,
        Buffer.concat([Buffer.from('--- stderr ---\n'), err, trailingNewline(err)]),
      ),
    );
  return 0;
}

function trailingNewline(b: Buffer): Buffer {
  return b.length && b[b.length - 1] !== 0x0a ? Buffer.from('\n') : Buffer.alloc(0);
}
