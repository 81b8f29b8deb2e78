// `npm run bench [-- --quick] [-- --only compile,status] [-- --runs N] [-- --keep]`
//
// Runs every benchmark case against the built CLI (bin/batchplan.js), each figure the median of
// several runs with its spread, every figure a ratio against a baseline measured in the same run (the
// machine is shared). Prints one table and writes bench/results/latest.json + latest.md (quick mode:
// quick.json + quick.md; one case alone, --only NAME: NAME.json + NAME.md; several: latest-partial)
// and, after a full run, README-performance.md for the README.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cleanScratch, fmt, ROOT, runSync, stats } from './lib.js';
import * as balance from './cases/balance.js';
import * as coldStart from './cases/cold-start.js';
import * as compile from './cases/compile.js';
import * as cost from './cases/cost.js';
import * as footprint from './cases/footprint.js';
import * as launch from './cases/launch.js';
import * as remote from './cases/remote.js';
import * as saturn from './cases/saturn.js';
import * as scale from './cases/scale.js';
import * as report from './cases/report.js';
import * as slurm from './cases/slurm.js';
import * as sshRunner from './cases/ssh-runner.js';
import * as status from './cases/status.js';

// Order matters: footprint measures run-partition on the fresh plan compile leaves behind, then
// records it; status and report read the recorded plans.
const CASES = [
  coldStart,
  compile,
  footprint,
  status,
  report,
  remote,
  sshRunner,
  launch,
  cost,
  balance,
  saturn,
  scale,
  slurm,
];

function parseArgs(argv) {
  const opts = { quick: false, runs: undefined, only: undefined, keep: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--quick') opts.quick = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--runs') opts.runs = Number(argv[++k]);
    else if (a === '--only') opts.only = argv[++k].split(',');
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run bench [-- --quick] [--only case,…] [--runs N] [--keep]\n' +
          `cases: ${CASES.map((c) => c.name).join(', ')}`,
      );
      process.exit(0);
    } else {
      console.error(`bench: unknown argument ${a}`);
      process.exit(2);
    }
  }
  const unknown = opts.only?.filter((n) => !CASES.some((c) => c.name === n)) ?? [];
  if (unknown.length) {
    console.error(`bench: no case ${unknown.join(', ')} (cases: ${CASES.map((c) => c.name).join(', ')})`);
    process.exit(2);
  }
  return opts;
}

function machine() {
  const cpu = cpus();
  const git = (args) => runSync(['git', ...args], { cwd: ROOT, allowFail: true }).stdout?.trim() ?? '';
  return {
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: release(),
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'src', 'bench']) !== '',
  };
}

const UNIT = {
  ms: (v) => fmt.ms(v),
  KiB: (v) => fmt.mib(v),
  'us/task': (v) => `${v.toFixed(2)} µs/task`,
  'ms/task': (v) => `${v.toFixed(3)} ms/task`,
  files: (v) => fmt.n(Math.round(v)),
  'KiB file': (v) => `${v.toFixed(0)} KiB`,
};

function cell(s, unit) {
  if (!s) return '-';
  const f = UNIT[unit] ?? String;
  if (s.runs.length <= 1 || s.min === s.max) return f(s.median);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

function tableRows(rows) {
  return rows.map((r) => [
    r.case,
    cell(r.batchplan, r.unit),
    r.baseline ? `${cell(r.baseline, r.unit)} [${r.baseline.name}]` : '-',
    r.ratio === undefined ? '-' : `${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}×`,
    r.target,
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
}

const HEAD = ['case', 'batchplan (median, min–max)', 'baseline, same run', 'ratio', 'target', 'result'];

function textTable(rows) {
  const cells = [HEAD, ...tableRows(rows)];
  const w = HEAD.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells
    .map((r) =>
      r
        .map((v, c) => v.padEnd(w[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function markdownTable(rows) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
    ...tableRows(rows).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function notesOf(rows) {
  return rows.filter((r) => r.note).map((r) => `- ${r.case}: ${r.note}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const ctx = {
    quick: opts.quick,
    runs: opts.runs ?? 3,
    plans: new Map(),
    // The whole run must end within 15 minutes (quick: 2); the last case trims its rounds to fit.
    deadline: performance.now() + (opts.quick ? 110 : 14 * 60) * 1000,
    log: (msg) => console.error(`bench: [${((performance.now() - t0) / 1000).toFixed(0)} s] ${msg}`),
  };
  const onSignal = () => {
    slurm.cancelOwnJobs();
    if (!opts.keep) cleanScratch();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const load = [loadavg()[0]];
  const rows = [];
  const timings = {};
  try {
    for (const c of CASES) {
      if (opts.only && !opts.only.includes(c.name)) continue;
      const c0 = performance.now();
      ctx.log(`case ${c.name}`);
      rows.push(...(await c.run(ctx)));
      timings[c.name] = Math.round(performance.now() - c0);
      load.push(loadavg()[0]);
    }
  } finally {
    slurm.cancelOwnJobs();
    if (!opts.keep) cleanScratch();
  }
  const elapsed = performance.now() - t0;

  const info = {
    date: started.toISOString(),
    mode: opts.quick ? 'quick' : 'full',
    runs: ctx.runs,
    elapsedMs: Math.round(elapsed),
    caseMs: timings,
    loadAverage: stats(load),
    machine: machine(),
  };
  const table = textTable(rows);
  console.log(`\n${table}\n`);
  console.log(
    `${rows.filter((r) => r.pass === false).length} target(s) missed; ${info.mode} run took ${fmt.ms(elapsed)}`,
  );

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = opts.quick ? 'quick' : 'latest';
  const partial = opts.only !== undefined;
  // One case alone (`--only balance`) is that case's own record, bench/results/balance.{json,md}.
  const single = partial && !opts.quick && opts.only.length === 1;
  const stem = single ? opts.only[0] : partial ? `${base}-partial` : base;
  writeFileSync(join(dir, `${stem}.json`), JSON.stringify({ ...info, rows }, null, 2) + '\n');
  const m = info.machine;
  const machineLine = `${m.cpu}, ${m.memory} RAM, Linux ${m.kernel}, Node.js ${m.node}; load average ${info.loadAverage.min.toFixed(1)}–${info.loadAverage.max.toFixed(1)} during the run (the machine is shared)`;
  const notesFile = join(ROOT, 'bench', 'NOTES.md');
  const md = [
    partial
      ? `# batchplan benchmarks, ${opts.only.join(', ')} case${opts.only.length > 1 ? 's' : ''} (\`npm run bench -- ${opts.quick ? '--quick ' : ''}--only ${opts.only.join(',')}\`)`
      : `# batchplan benchmarks (${info.mode} run)`,
    '',
    `${info.date.slice(0, 16).replace('T', ' ')} UTC, commit ${m.commit}${m.dirty ? ' + uncommitted changes' : ''}; ${machineLine}.`,
    `Median of ${ctx.runs} runs per figure (cold start: more), spread min–max in parentheses; every baseline measured in the same run, interleaved with batchplan. The whole run took ${fmt.ms(elapsed)}.`,
    '',
    markdownTable(rows),
    '',
    ...(notesOf(rows).length ? ['Notes:', '', ...notesOf(rows), ''] : []),
    ...(existsSync(notesFile) ? [readFileSync(notesFile, 'utf8')] : []),
  ].join('\n');
  writeFileSync(join(dir, `${stem}.md`), md);
  if (!opts.quick && !partial) {
    const readme = [
      '## Performance',
      '',
      `\`npm run bench\` (about ${Math.ceil(elapsed / 60000)} minutes; \`npm run bench -- --quick\` runs a reduced set in under two) measures batchplan against the baseline a user would otherwise reach for, in the same run, and writes \`bench/results/latest.json\` and \`latest.md\`. Every figure is the median of ${ctx.runs} runs with the spread (min–max) in parentheses. Measured ${info.date.slice(0, 10)} on ${machineLine}.`,
      '',
      markdownTable(rows),
      '',
      ...(notesOf(rows).length ? [...notesOf(rows), ''] : []),
    ].join('\n');
    writeFileSync(join(dir, 'README-performance.md'), readme);
  }
  console.log(`wrote bench/results/${stem}.json and ${stem}.md`);
}

await main();
