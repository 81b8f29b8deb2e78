// Pure renderers of a progress snapshot: the terminal block (one line per stage and a footer, every
// line fitted to the width) and the plain one-line form for logs. Never a list of job ids.
import { clock, digits, etaMs, left, totals, type ProgressSnapshot, type StageProgress } from './model.js';

const FULL = '█';
const EMPTY = '░';
/** Below this many columns for the bar, the bar is dropped rather than drawn useless. */
const MIN_BAR = 6;

function percent(s: StageProgress): string {
  const p = s.total ? Math.floor((100 * (s.succeeded + s.failed)) / s.total) : 100;
  return `${p}%`.padStart(4);
}

function bar(s: StageProgress, width: number): string {
  const filled = s.total ? Math.round(((s.succeeded + s.failed) / s.total) * width) : width;
  return FULL.repeat(filled) + EMPTY.repeat(width - filled);
}

/** Counts in a fixed order, zeros left out except succeeded. */
function counts(s: StageProgress): string {
  const parts = [`${digits(s.succeeded)} ok`];
  if (s.failed) parts.push(`${digits(s.failed)} failed`);
  if (s.running) parts.push(`${digits(s.running)} running`);
  if (s.queued) parts.push(`${digits(s.queued)} queued`);
  const l = left(s) - s.running - s.queued;
  if (l > 0) parts.push(`${digits(l)} left`);
  return parts.join(', ');
}

function fit(line: string, width: number): string {
  return [...line].length <= width ? line : [...line].slice(0, Math.max(1, width - 1)).join('') + '…';
}

/**
 * One stage line: `name  ███░░░  42%  120 ok, 2 failed, 8 running, 40 left  ETA 1m05s`. The bar
 * takes the columns the rest leaves; on a narrow terminal it goes first, then the line is cut.
 */
function stageLine(snapshot: ProgressSnapshot, s: StageProgress, nameWidth: number, width: number): string {
  const name = s.name.padEnd(nameWidth);
  if (s.blockedBy) return fit(`${name}  not run: ${s.blockedBy.join(', ')} failed`, width);
  const eta = etaMs(snapshot, s);
  const tail = `${percent(s)}  ${counts(s)}${eta === undefined ? '' : `  ETA ${clock(eta)}`}`;
  const room = width - [...name].length - 2 - 2 - [...tail].length;
  const barWidth = Math.min(30, room);
  if (barWidth >= MIN_BAR) return `${name}  ${bar(s, barWidth)}  ${tail}`;
  return fit(`${name}  ${tail}`, width);
}

export function footer(snapshot: ProgressSnapshot): string {
  const all = totals(snapshot);
  const pct = all.total ? ((100 * all.succeeded) / all.total).toFixed(1) : '100.0';
  const eta = etaMs(snapshot);
  const parts = [`${digits(all.succeeded)}/${digits(all.total)} succeeded (${pct}%)`];
  if (all.failed) parts.push(`${digits(all.failed)} failed`);
  if (all.running) parts.push(`${digits(all.running)} running`);
  if (all.queued) parts.push(`${digits(all.queued)} queued`);
  parts.push(`elapsed ${clock(snapshot.elapsedMs)}`);
  if (eta !== undefined) parts.push(`ETA ${clock(eta)}`);
  return `overall: ${parts.join(', ')}`;
}

/** The terminal block: one line per stage, then the footer; no line wider than `width`. */
export function renderBlock(snapshot: ProgressSnapshot, width: number): string[] {
  const w = Math.max(20, width);
  const nameWidth = Math.min(
    Math.max(...snapshot.stages.map((s) => [...s.name].length), 5),
    Math.max(5, Math.floor(w / 4)),
  );
  const lines = snapshot.stages.map((s) =>
    stageLine(snapshot, { ...s, name: fit(s.name, nameWidth) }, nameWidth, w),
  );
  lines.push(fit(footer(snapshot), w));
  return lines;
}

/**
 * A stage's key in the log line: `stage.` + its name, so that no stage name (`left`, `eta`) can be
 * read as a plan-wide key. A name that is not a plain word (`a b`, `x=1`, a quote) is written as a
 * JSON string with its spaces escaped (`stage."a\u0020b"=0/4`): the line still splits on spaces,
 * and in each word the value is what follows the last `=` (values never hold one).
 */
export function stageKey(name: string): string {
  return `stage.${/^[A-Za-z0-9_.+-]+$/.test(name) ? name : JSON.stringify(name).replace(/ /g, '\\u0020')}`;
}

function logLine(snapshot: ProgressSnapshot, withClock: boolean): string {
  const all = totals(snapshot);
  const eta = withClock ? etaMs(snapshot) : undefined;
  const stages = snapshot.stages
    .map((s) => `${stageKey(s.name)}=${s.blockedBy ? 'not-run' : `${s.succeeded + s.failed}/${s.total}`}`)
    .join(' ');
  return (
    `progress${withClock ? ` elapsed=${clock(snapshot.elapsedMs)}` : ''} succeeded=${all.succeeded} ` +
    `failed=${all.failed} running=${all.running} queued=${all.queued} left=${left(all)}` +
    `${eta !== undefined ? ` eta=${clock(eta)}` : ''} ${stages}`
  );
}

/**
 * The log form, one line for the whole plan, key=value so that it greps: the plan-wide counts, then
 * each stage (stageKey) with its ended/total or not-run:
 * `progress elapsed=62s succeeded=120 failed=2 running=8 queued=40 left=170 eta=3m10s stage.extract=120/300 stage.merge=not-run`.
 */
export function renderLogLine(snapshot: ProgressSnapshot): string {
  return logLine(snapshot, true);
}

/** The same line without the clock (elapsed, eta): what tells whether something changed. */
export function changeKey(snapshot: ProgressSnapshot): string {
  return logLine(snapshot, false);
}
