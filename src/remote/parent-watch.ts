// Whether the process that started us is still there. run-hosts runs in the background of the
// --runner ssh script; a SIGKILL of that script sends it nothing, so it watches the script's pid
// (`--parent-pid $$`) and stops the remote partitions when the script is gone. A pid, not our
// ppid: the script may start run-hosts through a shell of --batchplan-command that does not exec.
import { readFileSync } from 'node:fs';

/** A process identity that survives pid reuse where /proc tells the start time (Linux). */
function identity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, starttime field 22 (comm may hold spaces and ')').
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // killed, not yet reaped
    return fields[19];
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    return aliveByKill(pid) ? '' : undefined; // no /proc here: kill(pid, 0) only
  }
}

function aliveByKill(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Calls `gone` once, soon after process `pid` ends (at once when it is not there now). */
export function watchParent(pid: number, gone: () => void, everyMs = 250): () => void {
  const first = identity(pid);
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (first !== undefined && identity(pid) === first) return;
    if (timer) clearInterval(timer);
    timer = undefined;
    gone();
  };
  timer = setInterval(check, everyMs);
  timer.unref();
  if (first === undefined) setImmediate(check);
  return () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
}
