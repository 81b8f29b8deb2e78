// `report --remote`: the HTML page of a plan there, written here. The remote batchplan writes it
// into a temp directory there (its --json says where and what it counted), we read it over the
// connection, write it atomically here, and remove the temp directory.
import { resolve } from 'node:path';
import { reportWritten } from '../commands/report.js';
import { BatchplanError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { shellQuote } from '../util/shell-quote.js';
import { remoteJson, type RemoteBatchplan } from './remote-batchplan.js';

interface Written {
  report: string;
  tasks: number;
  attempts: number;
}

export async function remoteReport(
  rb: RemoteBatchplan,
  plan: string,
  opts: { output?: string; json?: boolean },
): Promise<number> {
  // Here, not beside the plan there: the default is report.html in the current directory.
  const out = resolve(opts.output ?? 'report.html');
  const made = await rb.t.exec('mktemp -d "${TMPDIR:-/tmp}/batchplan-report.XXXXXX"', { idempotent: true });
  const tmp = made.stdout.toString('utf8').trim();
  if (made.exitCode !== 0 || !tmp.startsWith('/'))
    throw new BatchplanError(
      'E_IO',
      `cannot make a temp directory on ${rb.t.where}: ${made.stderr.toString('utf8').trim() || `exit ${made.exitCode}`}`,
      'The report is written to $TMPDIR (or /tmp) there first: point TMPDIR at a writable directory there.',
    );
  try {
    const w = await remoteJson<Written>(rb, ['report', '--json', '-o', `${tmp}/report.html`, '--', plan]);
    const html = await rb.t.readFile(w.report);
    writeFileAtomic(out, html);
    reportWritten(out, html.length, w.tasks, w.attempts, opts.json === true);
    return 0;
  } finally {
    await rb.t.exec(`rm -rf -- ${shellQuote(tmp)}`).catch(() => undefined);
  }
}
