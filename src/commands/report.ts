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
  const bytes = Buffer.byteLength(html);
  if (opts.json) printJson({ report: out, bytes, tasks: data.overall.total, attempts: data.timeline.total });
  else {
    process.stdout.write(`${out}\n`);
    note(
      `report of ${plural(data.overall.total, 'task')} and ${plural(data.timeline.total, 'attempt')} (${(bytes / 1024).toFixed(0)} KiB)`,
    );
  }
  return 0;
}
