// Render the report as one self-contained HTML file: tables and counts are plain HTML (readable
// without script), the charts are drawn by the inline script from an inline JSON block.
import { TASK_STATES } from '../status/aggregate.js';
import type { ReportData, StageReport } from './collect.js';
import { PAGE_SCRIPT } from './page-script.js';
import { OUTCOMES } from './timeline.js';

const STATE_COLORS: Record<string, string> = {
  succeeded: '#2e9e5b',
  failed: '#d1363a',
  interrupted: '#8b5cf6',
  lost: '#9aa0a6',
  running: '#3b82f6',
  queued: '#9cc3f5',
  pending: '#e3e6ea',
};
const OUTCOME_COLORS = ['#2e9e5b', '#d1363a', '#f0a030', '#8b5cf6', '#3b82f6', '#9aa0a6'];
const OUTCOME_LABELS: Record<string, string> = { retried: 'failed, retried' };

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;color:#1d2125;margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
.meta{color:#5f6b76;font-size:12px}.note{color:#5f6b76;font-size:12px;margin:4px 0}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}tr:nth-child(even) td{background:#fafbfc}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:flex;width:260px;height:12px;border-radius:3px;overflow:hidden;background:#e3e6ea}
.bar span{display:block;height:100%}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
pre{margin:0;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all;max-width:520px}
code{font:12px ui-monospace,Menlo,Consolas,monospace}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px;min-width:90px}
.card b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.card small{color:#5f6b76}
.chart{position:relative;width:100%}canvas{display:block}
#timeline-tip{min-height:18px;font-size:12px;color:#333}
.hgrid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}
`;

/** Text for HTML: escaped, with terminal control characters (ESC sequences in stderr) dropped. */
export function esc(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex -- control characters are what it removes
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function ms(v: number | null): string {
  if (v === null) return '-';
  if (v < 1000) return `${Math.round(v)} ms`;
  const s = v / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

function progressBar(counts: Record<string, number>, total: number): string {
  if (!total) return '<div class="bar"></div>';
  const parts = ['succeeded', 'failed', 'interrupted', 'lost', 'running', 'queued']
    .filter((k) => counts[k])
    .map(
      (k) =>
        `<span style="width:${((100 * counts[k]!) / total).toFixed(3)}%;background:${STATE_COLORS[k]}" title="${k}: ${counts[k]}"></span>`,
    );
  return `<div class="bar">${parts.join('')}</div>`;
}

function stageTable(data: ReportData): string {
  const withQueue = data.stages.some((s) => s.summary.queued !== undefined);
  const cols = withQueue ? ['queued', ...TASK_STATES] : [...TASK_STATES];
  const head = `<tr><th>stage</th><th class="n">total</th>${cols.map((c) => `<th class="n">${c}</th>`).join('')}<th class="n">done</th><th>progress</th></tr>`;
  const rows = data.stages.map(({ summary: s }) => {
    const c = s as unknown as Record<string, number>;
    const pct = s.total ? ((100 * s.succeeded) / s.total).toFixed(1) : '100.0';
    return `<tr data-stage="${esc(s.name)}"><td>${esc(s.name)}</td><td class="n">${num(s.total)}</td>${cols
      .map((k) => `<td class="n" data-count="${k}">${num(c[k] ?? 0)}</td>`)
      .join('')}<td class="n">${pct}%</td><td>${progressBar(c, s.total)}</td></tr>`;
  });
  return `<table id="stages">${head}${rows.join('')}</table>`;
}

function cards(data: ReportData): string {
  const o = data.overall;
  const items: [string, number][] = [
    ['total', o.total],
    ['succeeded', o.succeeded],
    ['failed', o.failed],
    ['running', o.running],
    ['queued', o.queued],
    ['pending', o.pending],
    ['interrupted', o.interrupted],
    ['lost', o.lost],
  ];
  return `<div class="cards" id="overall">${items
    .filter(([k, v]) => v > 0 || k === 'total' || k === 'succeeded' || k === 'failed')
    .map(([k, v]) => `<div class="card" data-count="${k}"><b>${num(v)}</b><small>${k}</small></div>`)
    .join('')}</div>`;
}

function timeline(data: ReportData): string {
  const tl = data.timeline;
  if (tl.total === 0) return '<p class="note">No attempt has been recorded yet.</p>';
  const legend = OUTCOMES.map(
    (o, k) =>
      `<span><i style="background:${OUTCOME_COLORS[k]}"></i>${OUTCOME_LABELS[o] ?? o} (${num(tl.byOutcome[o])})</span>`,
  ).join('');
  const sampled =
    tl.shown < tl.total
      ? `Showing ${num(tl.shown)} of ${num(tl.total)} attempts: every attempt that did not simply succeed${tl.stride > 1 ? `, and one success in ${num(tl.stride)}` : ''}.`
      : `All ${num(tl.total)} attempts.`;
  return `<p class="note">One row per host and concurrency slot (recovered from the attempts' start and end times); time from the first start (${esc(new Date(tl.t0).toISOString())}), span ${ms(tl.span)}. ${sampled}</p>
<div class="legend">${legend}</div>
<div class="chart"><canvas id="timeline" role="img" aria-label="timeline of attempts per host and slot"></canvas></div>
<div id="timeline-tip"></div>`;
}

function histogram(s: StageReport, k: number): string {
  const h = s.histogram;
  if (h.count === 0) return '';
  const strag =
    h.threshold === null
      ? ''
      : `; stragglers (slower than ${ms(h.threshold)}, red): <b data-count="stragglers">${num(h.stragglers)}</b>`;
  const rows = s.stragglers.length
    ? `<table class="stragglers"><tr><th>slowest tasks</th><th class="n">duration</th><th>host</th></tr>${s.stragglers
        .map(
          (r) =>
            `<tr><td><code>${esc(r.id)}</code></td><td class="n">${ms(r.durationMs)}</td><td>${esc(r.host ?? '-')}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  return `<div><h3 style="font-size:14px;margin:8px 0 2px">${esc(s.summary.name)}</h3>
<p class="note">${num(h.count)} finished tasks; median ${ms(h.median)}, p90 ${ms(h.p90)}, p99 ${ms(h.p99)}, max ${ms(h.max)}${strag}${h.log ? '; log scale' : ''}</p>
<div class="chart"><canvas class="histogram" data-stage="${k}" role="img" aria-label="durations of ${esc(s.summary.name)}"></canvas></div>${rows}</div>`;
}

function failureTable(data: ReportData): string {
  const f = data.failures;
  if (f.total === 0) return '<p class="note" id="failures">No task failed.</p>';
  const rows = f.rows.map((r) => {
    const exit = r.timedOut ? 'timeout' : r.exitCode !== null ? String(r.exitCode) : '-';
    return `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.stage)}</td><td>${r.state}</td><td class="n">${exit}</td><td>${esc(r.signal ?? '-')}</td><td>${esc(r.host ?? '-')}</td><td class="n">${r.attempts}</td><td><pre>${esc(r.cmd)}</pre></td><td><pre>${esc(r.stderrTail.join('\n'))}</pre></td></tr>`;
  });
  const more =
    f.total > f.rows.length
      ? `<p class="note">The first ${num(f.rows.length)} of ${num(f.total)}: <code>batchplan tasks ${esc(data.plan)} --state failed --tail 5</code> lists them all.</p>`
      : '';
  return `<table id="failures" data-total="${f.total}"><tr><th>task</th><th>stage</th><th>state</th><th class="n">exit</th><th>signal</th><th>host</th><th class="n">attempts</th><th>command</th><th>stderr (last lines)</th></tr>${rows.join('')}</table>${more}`;
}

function jobsTable(data: ReportData): string {
  const j = data.jobs;
  if (!j) return '<p class="note" id="jobs">Not submitted to a scheduler.</p>';
  const counts = (['queued', 'running', 'completed', 'failed'] as const)
    .map((k) => `<span data-count="${k}">${num(j.counts[k])} ${k}</span>`)
    .join(', ');
  const head = `<p class="note">Latest submission: ${esc(j.runner)}, ${esc(j.submittedAt)}, job${j.jobIds.length > 1 ? 's' : ''} ${esc(j.jobIds.join(', '))}. Partitions: ${counts}.${j.unavailable ? ` ${esc(j.unavailable)}.` : ''}</p>`;
  if (j.rows.length === 0) return `<div id="jobs">${head}</div>`;
  const rows = j.rows.map(
    (r) =>
      `<tr><td><code>${esc(r.jobId)}</code></td><td>${esc(r.stage)}</td><td class="n">${r.partition}</td><td>${r.state}</td><td>${esc(r.schedulerState)}</td><td>${esc(r.reason ?? '')}</td><td class="n">${r.exitCode ?? ''}</td></tr>`,
  );
  const more =
    j.total > j.rows.length
      ? `<p class="note">The first ${num(j.rows.length)} of ${num(j.total)} partitions (problems first).</p>`
      : '';
  return `<div id="jobs">${head}<table><tr><th>job</th><th>stage</th><th class="n">partition</th><th>state</th><th>scheduler state</th><th>reason</th><th class="n">exit</th></tr>${rows.join('')}</table>${more}</div>`;
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderReport(data: ReportData): string {
  const o = data.overall;
  const pct = o.total ? ((100 * o.succeeded) / o.total).toFixed(1) : '100.0';
  // The page needs only what it draws: the tables are already HTML.
  const chartData = {
    timeline: data.timeline,
    stages: data.stages.map((s) => ({ histogram: s.histogram })),
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>batchplan report: ${esc(data.plan)}</title>
<style>${STYLE}</style></head>
<body>
<h1>batchplan report</h1>
<div class="meta"><code title="${esc(data.planDir)}">${esc(data.plan)}</code> · generated ${esc(data.generatedAt)} by batchplan ${esc(data.version)}</div>
${cards(data)}
<p id="summary">${num(o.succeeded)}/${num(o.total)} succeeded (${pct}%)</p>
<h2>Stages</h2>
${stageTable(data)}
<h2>Timeline</h2>
${timeline(data)}
<h2>Task durations</h2>
<p class="note">The last finished attempt of each task, in ${data.stages[0]?.histogram.edges.length ? data.stages[0].histogram.counts.length : 0} bins per stage.</p>
<div class="hgrid">${data.stages.map(histogram).join('')}</div>
<h2>Failures</h2>
${failureTable(data)}
<h2>Scheduler jobs</h2>
${jobsTable(data)}
<script type="application/json" id="report-data">${scriptJson(chartData)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
