// `batchplan report <plan> [-o report.html]`: one self-contained HTML page of the plan's state.
import { resolve } from 'node:path';
import { collectReport } from '../report/collect.js';
import { renderReport } from '../report/html.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { note, plural, printJson } from './output.js';

export default async function report(
  planDir: string,
  opts: { output?: string; json?: boolean },
): Promise<number> {
  const data = await collectReport(planDir);
  const out = resolve(opts.output ?? `${data.planDir}/report.html`);
  const html = renderReport(data);
  writeFileAtomic(out, html);
  reportWritten(out, Buffer.byteLength(html), data.overall.total, data.timeline.total, opts.json === true);
  return 0;
}

/** Where the page went (also for report --remote, which writes the remote plan's page here). */
export function reportWritten(
  out: string,
  bytes: number,
  tasks: number,
  attempts: number,
  json: boolean,
): void {
  if (json) printJson({ report: out, bytes, tasks, attempts });
  else {
    process.stdout.write(`${out}\n`);
    note(
      `report of ${plural(tasks, 'task')} and ${plural(attempts, 'attempt')} (${(bytes / 1024).toFixed(0)} KiB)`,
    );
  }
}
