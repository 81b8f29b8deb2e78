// A stand-in for `batchplan` in rendered scripts (the conformance tests pass
// `'<node>' '<this file>'` as the batchplan command). It parses a `run-partition` command line the
// way the real CLI (commander) does, appends what it received to $FAKE_LOG (one JSON object a
// line: a `start` record, then an `end` record), and exits as $FAKE_EXIT_RULES says.
//
// Environment:
//   FAKE_LOG          file to append to (required)
//   FAKE_EXIT_RULES   JSON [{ "stage": name, "index": i, "code": c }]: exit c for that partition
//   FAKE_SLEEP_MS     sleep this long between the start and end records
//   FAKE_READ_STDIN   1: read standard input to its end first (as ssh or srun would)
//   FAKE_INDEX_ENV    variable holding the partition index when the index argument is `auto`
//                     (the runner's partitionIndexEnv); one-based with --one-based, plus
//                     --index-offset, as run-partition resolves it
//   FAKE_RECORD_ENV   comma-separated variable names whose values (or null) each record carries
//                     as `env`, e.g. the scheduler index variables the script saw
import { appendFileSync, readFileSync } from 'node:fs';

const VALUE_OPTIONS = new Set(['--nprocs', '--index-var', '--index-offset', '--grace', '--log-limit']);
const FLAG_OPTIONS = new Set(['--one-based', '--bind-gpus', '--json', '--skip-failures']);

/** `run-partition [options] [--] <plan> <stage> <N> <i>`, options anywhere before `--`. */
function parse(args) {
  const [command, ...rest] = args;
  const options = {};
  const positionals = [];
  const errors = [];
  for (let k = 0; k < rest.length; k++) {
    const arg = rest[k];
    if (arg === '--') {
      positionals.push(...rest.slice(k + 1));
      break;
    }
    if (arg.length > 1 && arg.startsWith('-')) {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (VALUE_OPTIONS.has(name)) {
        if (eq < 0 && k + 1 >= rest.length) errors.push(`option ${name} has no value`);
        options[name] = eq > 0 ? arg.slice(eq + 1) : rest[++k];
      } else if (FLAG_OPTIONS.has(name) && eq < 0) options[name] = true;
      else errors.push(`unknown option '${arg}' (an argument taken for an option?)`);
      continue;
    }
    positionals.push(arg);
  }
  if (command !== 'run-partition') errors.push(`command is '${command}', not run-partition`);
  if (positionals.length !== 4) errors.push(`${positionals.length} positional arguments, not 4`);
  return { command, options, positionals, errors };
}

/** The zero-based partition index, or null when it cannot be worked out. */
function partitionIndex(arg, options) {
  let value = arg;
  if (arg === 'auto') {
    const name = options['--index-var'] ?? process.env.FAKE_INDEX_ENV;
    value = name ? process.env[name] : undefined;
  }
  const offset = options['--index-offset'] ?? '0';
  if (value === undefined || !/^\d+$/.test(value) || !/^\d+$/.test(offset)) return null;
  return Number(value) - (options['--one-based'] ? 1 : 0) + Number(offset);
}

const argv = process.argv.slice(2);
const parsed = parse(argv);
const [plan, stage, n, indexArg] = parsed.positionals;
const index = indexArg === undefined ? null : partitionIndex(indexArg, parsed.options);
if (process.env.FAKE_READ_STDIN === '1') readFileSync(0);

const env = Object.fromEntries(
  (process.env.FAKE_RECORD_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((name) => [name, process.env[name] ?? null]),
);
const record = (event) =>
  appendFileSync(
    process.env.FAKE_LOG,
    JSON.stringify({ event, pid: process.pid, argv, ...parsed, plan, stage, n, index, env }) + '\n',
  );

record('start');
const sleep = Number(process.env.FAKE_SLEEP_MS ?? 0);
if (sleep > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sleep);
record('end');

const rules = JSON.parse(process.env.FAKE_EXIT_RULES ?? '[]');
const rule = rules.find((r) => r.stage === stage && r.index === index);
process.exitCode = rule ? rule.code : 0;
