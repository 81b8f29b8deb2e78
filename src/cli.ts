// The command line: flags only. Each command's module is imported when that command runs, so
// `--help`, `--version` and run-partition's start-up stay light. The one top-level catch maps
// errors to exit codes.
import { Command, CommanderError, Option } from 'commander';
import { didYouMean } from './util/did-you-mean.js';
import { BatchplanError, EXIT_CODES } from './errors.js';
import type { ResourceKey, RunnerDescriptor } from './runners/descriptor.js';
import { declaredFlags, optionKey, RESOURCE_FLAGS } from './runners/flags.js';
import { RUNNERS } from './runners/registry.js';
import { VERSION } from './version.js';
import { TASK_STATES } from './status/aggregate.js';
import { checkUnknownOptions } from './commands/usage-check.js';

type Action = (...args: never[]) => Promise<number | void>;

/** Wrap a lazily imported command so its exit code becomes the process's. */
function lazy(load: () => Promise<{ default: Action }>) {
  return async (...args: unknown[]) => {
    const mod = await load();
    const code = await mod.default(...(args as never[]));
    if (typeof code === 'number') process.exitCode = code;
  };
}

/**
 * Like lazy(), but with --remote (or BATCHPLAN_REMOTE) the command runs against a remote host
 * (src/remote/command.ts) instead: one SSH connection for the invocation.
 */
function lazyOrRemote(load: () => Promise<{ default: Action }>) {
  const local = lazy(load);
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    // run-partition runs where a job or a host starts it: only an explicit --remote sends it away.
    const fromEnv = cmd.name() !== 'run-partition' && !!process.env.BATCHPLAN_REMOTE;
    if (!(cmd.opts() as { remote?: string }).remote && !fromEnv) {
      refuseStrayRemoteFlags(cmd);
      return local(...args);
    }
    const mod = await import('./remote/command.js');
    process.exitCode = await mod.default(cmd);
  };
}

/** A companion of --remote given without it would be silently ignored: refuse it instead. */
function refuseStrayRemoteFlags(cmd: Command): void {
  const stray = ['remoteDir', 'remoteBatchplan', 'ssh', 'acceptNewHostKey'].find(
    (k) => cmd.getOptionValueSource(k) === 'cli',
  );
  if (!stray) return;
  const flag = `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new BatchplanError(
    'E_USAGE',
    `${flag} applies only with --remote (or BATCHPLAN_REMOTE); without it nothing would use it`,
    cmd.name() === 'generate-script' && stray === 'acceptNewHostKey'
      ? 'For the hosts of --runner ssh, pass --host-accept-new-key (the script passes it on when it runs).'
      : 'Add --remote [user@]host, or leave the flag out.',
  );
}

const REMOTE_COMMANDS = new Set([
  'plan',
  'generate-script',
  'submit',
  'wait',
  'cancel',
  'status',
  'tasks',
  'logs',
  'report',
  'run-partition',
]);

/** --remote and its companions, on every command that touches a plan or a scheduler. */
function remoteFlags(cmd: Command): Command {
  return cmd
    .option('--remote <[user@]host[:port]>', 'work on a plan on this SSH host (default: $BATCHPLAN_REMOTE)')
    .option('--remote-dir <dir>', 'remote: where relative plan paths start ($VAR and ~ expand there)')
    .option('--remote-batchplan <cmd>', 'remote: how to run batchplan there (default: batchplan)')
    .addOption(
      new Option('--ssh <client>', 'remote: ssh2 (built in) or openssh (the system ssh)')
        .choices(['ssh2', 'openssh'])
        .default('ssh2'),
    )
    .option('--accept-new-host-key', 'remote: trust and record an unknown host key (never a changed one)');
}

const NPROCS_HELP =
  'tasks at once inside a partition (default: the spec’s nprocs, else the allocation’s CPUs, else this machine’s)';
const SKIP_FAILURES_HELP =
  'leave tasks that failed in an earlier run alone: do not run them again (they stay failed; retry resets them; or skip_failures in the spec)';
const SCRIPT_SKIP_FAILURES_HELP =
  'every run-partition leaves tasks that failed in an earlier run alone (run-partition --skip-failures); a scheduler gets no partition whose only unfinished tasks failed';
const MAX_FAILS_HELP =
  'launch no more tasks of a stage once K of its tasks (over all its partitions) have failed (default: the spec’s max_fails)';

/**
 * Flags of generate-script and submit, from the runners' descriptors: --runner naming them, the common
 * flags, then each flag some runner declares, once, its help saying which runners take it.
 */
function runnerFlags(cmd: Command, runners: readonly RunnerDescriptor[]): Command {
  const users = (has: (r: RunnerDescriptor) => boolean) =>
    runners
      .filter(has)
      .map((r) => r.name)
      .join(', ');
  cmd
    .addOption(
      // No .choices(): an unknown name is E_UNKNOWN_RUNNER (registry.ts), listing the runners.
      new Option(
        '-r, --runner <name>',
        `the runner: ${runners.map((r) => r.name).join(' | ')}`,
      ).makeOptionMandatory(),
    )
    .option('--nprocs <P>', NPROCS_HELP)
    .option('--skip-failures', SCRIPT_SKIP_FAILURES_HELP)
    .option(
      '--batchplan-command <cmd>',
      'shell code that runs batchplan where the scripts run (default: this batchplan)',
    );
  for (const [key, { flag, help }] of Object.entries(RESOURCE_FLAGS)) {
    const who = users((r) => r.resources?.includes(key as ResourceKey) ?? false);
    if (who) cmd.option(flag, `${who}: ${help}`);
  }
  for (const [key, spec] of declaredFlags(runners)) {
    const who = users(
      (r) => key in r.flags || (!!r.schedulerArgs && optionKey(r.schedulerArgs.flag) === key),
    );
    const help = `${who}: ${spec.help}${spec.default === undefined ? '' : ` (default: ${spec.default})`}`;
    const option = new Option(spec.flag, help);
    if (spec.choices) option.choices(spec.choices);
    if (spec.kind === 'list') option.argParser(collect);
    cmd.addOption(option);
  }
  return cmd;
}

/** The runners' summaries, for the end of --help. */
function runnerTable(runners: readonly RunnerDescriptor[]): string {
  const width = Math.max(...runners.map((r) => r.name.length));
  return `\nRunners:\n${runners.map((r) => `  ${r.name.padEnd(width)}  ${r.summary}`).join('\n')}`;
}

/** Commander's "argument 'faild' is invalid. Allowed choices are …" with the nearest choice named. */
function suggestChoice(message: string): string {
  const m = /argument '([^']*)' is invalid\. Allowed choices are ([^\n]*)\./.exec(message);
  if (!m) return message;
  const hint = didYouMean(m[1]!, m[2]!.split(', '));
  return hint ? message.replace(m[0], `${m[0].slice(0, -1)}${hint}.`) : message;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('batchplan')
    .description(
      'Compile many small tasks into a plan, split each stage into N partitions, run them anywhere, and see what failed.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    // Commander's own usage errors carry the code like every other error.
    .configureOutput({
      writeErr: (s) =>
        process.stderr.write(suggestChoice(s).replace(/^error: /, 'batchplan: error [E_USAGE]: ')),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Walkthrough:
  $ batchplan plan sweep.yaml -o sweep.plan
  $ batchplan generate-script sweep.plan 4 --runner gnu-parallel | bash
  $ batchplan status sweep.plan
  $ batchplan tasks sweep.plan --state failed
  $ batchplan run sweep.yaml              # plan + run every stage here`,
    );

  program
    .command('plan')
    .description(
      'compile a spec (YAML/JSON, Saturn batch file, or one command per line) into a plan directory',
    )
    .argument('<spec>', "spec file; '-' reads commands from stdin")
    .requiredOption('-o, --output <dir>', 'plan directory to create')
    .option(
      '--force',
      'replace an existing plan directory (refused while jobs it submitted are queued or running)',
    )
    .addOption(
      new Option('--format <format>', 'input form (default: from the file extension)').choices([
        'spec',
        'commands',
        'saturn',
      ]),
    )
    .option('--json', 'print the summary as JSON')
    .option(
      '--skip-failures',
      'Saturn batch file: leave out runs whose status_code is non-zero (as sc split)',
    )
    .option('--max-jobs <m>', 'Saturn batch file: plan only the first M runs (as sc split)')
    .option('--max-tasks <n>', 'refuse a plan of more tasks than this (default: 10,000,000)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan plan sweep.yaml -o sweep.plan\n  $ seq 100 | sed "s/^/echo /" | batchplan plan - -o echo.plan\n  $ batchplan plan batch.yaml -o batch.plan --skip-failures --max-jobs 500   # a Saturn batch file\n  $ batchplan cancel sweep.plan && batchplan plan sweep.yaml -o sweep.plan --force   # replace a submitted plan',
    )
    .action(lazyOrRemote(() => import('./commands/plan.js')));

  program
    .command('add')
    .description(
      'append the stages of another spec to a plan (a new generation); what is there, running or not, is unchanged',
    )
    .argument('<plan>', 'plan directory')
    .argument('<spec>', 'spec with the new stages; their `after` may name stages of the plan')
    .addOption(
      new Option('--format <format>', 'input form (default: from the file extension)').choices([
        'spec',
        'commands',
        'saturn',
      ]),
    )
    .option('--max-tasks <n>', 'refuse more new tasks than this (default: 10,000,000)')
    .option('--json', 'print the stages added as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan add sweep.plan more.yaml               # e.g. a stage with after: [extract]\n  $ batchplan add sweep.plan more.yaml && batchplan submit sweep.plan 64 --runner slurm   # submits only the new stages\n  $ batchplan add sweep.plan more.yaml --json && batchplan run sweep.plan',
    )
    .action(lazy(() => import('./commands/add.js')));

  runnerFlags(
    program
      .command('generate-script')
      .description('render the scripts that run every partition of every stage with the given runner')
      .argument('<plan>', 'plan directory')
      .argument(
        '[N]',
        'partitions per stage, for stages that set none (a stage with fewer tasks gets one per task)',
      )
      .option(
        '--batch-size <B>',
        'instead of N: tasks per partition, as sc split (N = the largest stage / B; default 3 × nprocs)',
      )
      .option(
        '-o, --output <path>',
        'write the script here (a directory for runners that render several files; default: standard output)',
      )
      .option('--json', 'print the partition counts (and the script, when there is no -o) as JSON'),
    RUNNERS,
  )
    .addHelpText('after', runnerTable(RUNNERS))
    .addHelpText(
      'after',
      `
Examples:
  $ batchplan generate-script sweep.plan 4 --runner sequential | bash
  $ batchplan generate-script sweep.plan 8 --runner gnu-parallel --jobs 4 -o run.sh
  $ batchplan generate-script plan/ 64 --runner slurm --time 2:00:00 --cpus-per-task 8 --account m1234 -o slurm/
  $ bash slurm/submit.sh
  $ batchplan generate-script sweep.plan 4 --runner sequential --skip-failures | bash   # failed tasks not run again`,
    )
    .action(lazyOrRemote(() => import('./commands/generate-script.js')));

  runnerFlags(
    program
      .command('submit')
      .description(
        'render the scripts into the plan directory and submit the stages that have work left (none: "nothing to do")',
      )
      .argument('<plan>', 'plan directory')
      .argument('[N]', 'partitions per stage, for stages that set none')
      .option(
        '--batch-size <B>',
        'instead of N: tasks per partition, as sc split (N = the largest stage / B; default 3 × nprocs)',
      )
      .option('--dry-run', 'print what would be submitted; submit and write nothing')
      // Refused with the reason (submit leaves out what is queued or running by itself): not in --help.
      .addOption(new Option('--force').hideHelp())
      .option('--wait', 'then wait for the jobs as `batchplan wait` does, with live progress')
      .option('--interval <duration>', 'with --wait: time between scheduler queries', '10s')
      .option(
        '--timeout <duration>',
        'with --wait: give up waiting (exit 124; the jobs go on) after this long',
      )
      .option(
        '--wait-when-stuck',
        'with --wait: keep waiting when a partition is queued for a reason that cannot clear (default: stop, E_JOBS_STUCK)',
      )
      .option('--json', 'print the submission record as JSON'),
    RUNNERS.filter((r) => r.capabilities.canSubmit),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ batchplan submit plan/ 64 --runner slurm --time 2:00:00 --cpus-per-task 8 --account m1234
  $ batchplan submit plan/ 64 --runner slurm --layout allocation --max-running 8 --dry-run
  $ batchplan submit plan/ 8 --runner slurm --wait          # live progress until the jobs end
  $ batchplan submit plan/ 8 --runner slurm --wait --wait-when-stuck   # wait on whatever the queue says
  $ batchplan submit plan/ --batch-size 48 --runner slurm   # N from tasks per partition, as sc split
  $ batchplan retry plan/ && batchplan submit plan/ 8 --runner slurm   # only stages with work left
  $ batchplan add plan/ more.yaml && batchplan submit plan/ 8 --runner slurm
      # while earlier jobs run: only what no queued or running job holds; new stages wait for those jobs

  $ batchplan submit plan/ 8 --runner slurm --skip-failures   # leave failed tasks alone: only pending work`,
    )
    .action(lazyOrRemote(() => import('./commands/submit.js')));

  program
    .command('wait')
    .description('wait until every submitted job of the plan has ended; exit 0 only if every task succeeded')
    .argument('<plan>', 'plan directory')
    .option('--interval <duration>', 'time between scheduler queries', '10s')
    .option('--timeout <duration>', 'give up (exit 124) after this long')
    .option(
      '--wait-when-stuck',
      'keep waiting when a partition is queued for a reason that cannot clear (default: stop, E_JOBS_STUCK)',
    )
    .option('--json', 'print the final status as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan wait plan/                      # exit 0 only if every task succeeded\n  $ batchplan wait plan/ --interval 30s --timeout 2h',
    )
    .action(lazyOrRemote(() => import('./commands/wait.js')));

  program
    .command('cancel')
    .description('cancel every queued or running job this plan submitted (running tasks end up interrupted)')
    .argument('<plan>', 'plan directory')
    .option('--json', 'print the cancelled job ids as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan cancel plan/\n  $ batchplan submit plan/ 64 --runner slurm   # later: finishes what is left',
    )
    .action(lazyOrRemote(() => import('./commands/cancel.js')));

  program
    .command('run-partition')
    .description('run partition i of N of one stage: bounded concurrency, retries, timeouts, durable status')
    .argument('<plan>', 'plan directory')
    .argument('<stage>', 'stage name')
    .argument('<N>', 'partitions of the stage, unless it sets its own (partitions: in the spec)')
    .argument('<i>', "zero-based partition index, or 'auto' to read the scheduler's array index")
    .option('--nprocs <P>', NPROCS_HELP)
    .option('--one-based', 'the index (given, or read with --index-var) counts from one')
    .option('--index-var <name>', "with 'auto': read the index from this environment variable")
    .option('--index-offset <k>', 'added to the index: the first partition of a split array', '0')
    .option('--max-fails <K>', MAX_FAILS_HELP)
    .option('--skip-failures', SKIP_FAILURES_HELP)
    .option(
      '--bind-gpus',
      'bind GPUs even if the stage sets no gpus_per_slot: the visible GPUs dealt to the slots (CUDA_VISIBLE_DEVICES …)',
    )
    .option('--grace <duration>', 'time between SIGTERM and SIGKILL when stopping tasks', '10s')
    .option(
      '--wait-prerequisites <duration>',
      'how long a task waits for the tasks it requires while another run-partition runs them, before it is recorded blocked',
      '1h',
    )
    .option(
      '--log-limit <bytes>',
      'bytes of stdout and of stderr kept per task attempt (the tail)',
      String(8 << 20),
    )
    .option(
      '--balance',
      'take unstarted tasks from the stage’s other partitions when done (every partition must use it; or BATCHPLAN_BALANCE=1, or balance: true on the stage in the spec)',
    )
    .option(
      '--no-balance',
      'run only this partition’s own slice (static), whatever BATCHPLAN_BALANCE or the spec says',
    )
    .option('--json', 'print the partition summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan run-partition sweep.plan extract 4 0\n  $ batchplan run-partition /abs/sweep.plan extract 64 auto   # in a Slurm array job\n  $ batchplan run-partition sweep.plan extract 4 1 --max-fails 5   # stop the stage after 5 failed tasks\n  $ batchplan run-partition sweep.plan extract 4 1 --skip-failures   # leave earlier failures alone\n  $ BATCHPLAN_BALANCE=1 batchplan run-partition sweep.plan extract 8 3   # balanced: share the stage’s work',
    )
    .action(lazyOrRemote(() => import('./commands/run-partition.js')));

  program
    .command('run-hosts')
    .description(
      'run one stage’s partitions across SSH hosts, each as many at once as its slots (what --runner ssh’s script runs)',
    )
    .argument('<plan>', 'plan directory, at the same path on every host')
    .argument('<stage>', 'stage name')
    .argument('<N>', 'partitions of the stage, unless it sets its own (partitions: in the spec)')
    .requiredOption(
      '--hosts <file|list>',
      'hosts file ([slots/][user@]host[:port] per line, : for here), or a comma list',
    )
    .option('--nprocs <P>', NPROCS_HELP)
    .option('--skip-failures', `${SKIP_FAILURES_HELP}; a partition with nothing else left is not sent out`)
    .option('--host-batchplan <cmd>', 'how to run batchplan on the hosts (default: batchplan)')
    .addOption(
      new Option('--ssh <client>', 'ssh2 (built in) or openssh (the system ssh)')
        .choices(['ssh2', 'openssh'])
        .default('ssh2'),
    )
    .option('--accept-new-host-key', 'trust and record an unknown host key (never a changed one)')
    .option(
      '--ssh-config <file>',
      'the ssh_config to reach the hosts with (as ssh -F; default ~/.ssh/config)',
    )
    .option(
      '--sync <dir>',
      'no shared file system: copy the plan into DIR on each host (~ and $VARS expand there), run it there, bring its journals and logs back',
    )
    .option(
      '--parent-pid <pid>',
      'stop the partitions (as on SIGHUP) when this process ends, even by SIGKILL (the script passes its $$)',
    )
    .addHelpText(
      'after',
      "\nExamples:\n  $ batchplan run-hosts /shared/sweep.plan extract 12 --hosts hosts.txt\n  $ batchplan run-hosts /shared/sweep.plan extract 6 --hosts '4/me@ws1,2/ws2:2222,:' --nprocs 8\n  $ batchplan run-hosts ~/sweep.plan extract 12 --hosts hosts.txt --sync '~/.batchplan/sync'   # no shared file system",
    )
    .action(lazy(() => import('./commands/run-hosts.js')));

  program
    .command('run')
    .description('plan (if given a spec) and run every stage here, in order, each as one partition')
    .argument('<spec-or-plan>', 'a spec file or a plan directory')
    .option(
      '-o, --output <dir>',
      'plan directory for a spec (default: <spec name>.plan in the current directory)',
    )
    .option('--force', 're-plan even if the plan directory holds a plan of a different spec')
    .option('--nprocs <P>', NPROCS_HELP)
    .option('--max-fails <K>', MAX_FAILS_HELP)
    .option('--skip-failures', SKIP_FAILURES_HELP)
    .option(
      '--gpus <list>',
      'the GPUs to use here, e.g. 0,1 (as CUDA_VISIBLE_DEVICES): stages with gpus_per_slot give each slot its own',
    )
    .option('--bind-gpus', 'bind GPUs in every stage, also those without gpus_per_slot (dealt to the slots)')
    .option('--grace <duration>', 'time between SIGTERM and SIGKILL when stopping tasks', '10s')
    .option('--json', 'print the final status as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan run sweep.yaml\n  $ batchplan run train.yaml --gpus 0,1,2,3   # gpus_per_slot: 1 → four tasks, one GPU each\n  $ batchplan run sweep.yaml --nprocs 8     # again later: runs only what is left\n  $ batchplan run sweep.yaml --max-fails 3  # a stage stops launching after 3 failed tasks\n  $ batchplan run sweep.plan --skip-failures   # run what is pending, not the failed ones again',
    )
    .action(lazy(() => import('./commands/run.js')));

  program
    .command('status')
    .description('per stage: total, pending, running, lost, interrupted, succeeded, failed')
    .argument('<plan...>', 'plan directory (several: one block each, --json an array)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  $ batchplan status sweep.plan\n  $ batchplan status sweep.plan --json | jq '.overall'\n  $ batchplan status a.plan b.plan          # several plans (qdo's list)",
    )
    .action(lazyOrRemote(() => import('./commands/status.js')));

  program
    .command('tasks')
    .description('one line per task: state, exit code, attempts, duration, host, command')
    .argument('<plan>', 'plan directory')
    .addOption(new Option('--state <state>', 'only tasks in this state').choices(['queued', ...TASK_STATES]))
    .option('--stage <name>', 'only tasks of this stage')
    .option('--tail <lines>', 'also show the last lines of each task’s stderr', '0')
    .option('--limit <n>', 'show at most n tasks')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan tasks sweep.plan --state failed --tail 3\n  $ batchplan tasks sweep.plan --stage merge --json\n  $ batchplan tasks qdo.plan --state blocked --tail 1   # which task each one waited for',
    )
    .action(lazyOrRemote(() => import('./commands/tasks.js')));

  for (const verb of ['retry', 'rerun'] as const) {
    const states =
      verb === 'retry'
        ? ['failed', 'lost', 'interrupted', 'blocked']
        : ['failed', 'lost', 'interrupted', 'blocked', 'succeeded'];
    const cmd = program
      .command(verb)
      .description(
        verb === 'retry'
          ? 'make failed, lost, interrupted or blocked tasks run again on the next run/submit (journals are kept)'
          : 'with --force: make tasks run again on the next run/submit, succeeded ones too (journals are kept)',
      )
      .argument('<plan>', 'plan directory')
      .option('--stage <name>', 'only tasks of this stage (repeatable)', collect)
      .option(
        '--state <state>',
        `only tasks in this state (repeatable): ${states.join(', ')} (default: all of these)`,
        collect,
      )
      .option('--id <task-id>', 'only this task (repeatable)', collect);
    if (verb === 'rerun') cmd.option('--force', 'yes, run succeeded tasks again');
    cmd
      .option('--json', 'print what was reset as JSON')
      .addHelpText(
        'after',
        verb === 'retry'
          ? '\nExamples:\n  $ batchplan retry sweep.plan                       # every failed, lost, interrupted or blocked task\n  $ batchplan retry sweep.plan --stage extract --state failed\n  $ batchplan retry sweep.plan --id extract.17 && batchplan run sweep.plan\n  $ batchplan retry qdo.plan --state blocked          # after fixing what they require'
          : '\nExamples:\n  $ batchplan rerun sweep.plan --force --id merge.0   # run a succeeded task again\n  $ batchplan rerun sweep.plan --force --stage merge',
      )
      .action(lazy(() => import(verb === 'retry' ? './commands/retry.js' : './commands/rerun.js')));
  }

  program
    .command('logs')
    .description('print a task’s stdout and stderr (of its latest attempt)')
    .argument('<plan>', 'plan directory')
    .argument('<task-id>', 'task id, as `batchplan tasks` shows it')
    .option('--stdout', 'only stdout')
    .option('--stderr', 'only stderr')
    .option('--attempt <k>', 'a given attempt instead of the latest')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan logs sweep.plan extract.17\n  $ batchplan logs sweep.plan extract.17 --stderr --attempt 1',
    )
    .action(lazyOrRemote(() => import('./commands/logs.js')));

  program
    .command('report')
    .description('write one self-contained HTML page: progress, timeline, durations, failures, jobs')
    .argument('<plan>', 'plan directory')
    .option('-o, --output <file>', 'where to write the page (default: <plan>/report.html)')
    .option('--json', 'print where the page went and its size as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan report sweep.plan -o report.html\n  $ batchplan report plan/        # writes plan/report.html, opens from a shared file system',
    )
    .action(lazyOrRemote(() => import('./commands/report.js')));

  program
    .command('doctor')
    .description(
      'what this machine gives batchplan: the task launcher run-partition uses and why, engines on PATH',
    )
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ batchplan doctor\n  $ batchplan doctor --json | jq .launcher')
    .action(lazy(() => import('./commands/doctor.js')));

  program
    .command('schema')
    .description('print the JSON Schema of the spec (for editors)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ batchplan schema > spec.schema.json       # then: # yaml-language-server: $schema=spec.schema.json',
    )
    .action(lazy(() => import('./commands/schema.js')));

  const remote = program
    .command('remote')
    .description('set up batchplan on a remote host for --remote')
    .addHelpText('after', '\nExamples:\n  $ batchplan remote setup me@login.cluster.org');
  remote
    .command('setup')
    .description('copy this batchplan (no npm needed there) into ~/.batchplan/<version> on HOST')
    .argument('<host>', '[user@]host[:port], as for --remote')
    .option('--force', 'copy again even if this version is already there')
    .addOption(
      new Option('--ssh <client>', 'ssh2 (built in) or openssh (the system ssh)')
        .choices(['ssh2', 'openssh'])
        .default('ssh2'),
    )
    .option('--accept-new-host-key', 'trust and record an unknown host key (never a changed one)')
    .option('--json', 'print where it went and the command to use as JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  $ batchplan remote setup me@login.cluster.org\n  $ batchplan status --remote me@login.cluster.org --remote-batchplan '<what it printed>' sweep.plan",
    )
    .action(lazy(() => import('./commands/remote-setup.js')));

  for (const cmd of program.commands) if (REMOTE_COMMANDS.has(cmd.name())) remoteFlags(cmd);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `batchplan … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    // Set by `--remote` on the calling side: both ends must be the same version.
    const expected = process.env.BATCHPLAN_EXPECT_VERSION;
    if (expected && expected !== VERSION)
      throw new BatchplanError(
        'E_REMOTE_BATCHPLAN',
        `batchplan here is version ${VERSION}; the batchplan that called it over SSH is ${expected}, and both must be the same`,
        'Install the caller’s version here: run `batchplan remote setup <this host>` on the calling machine.',
      );
    const program = buildProgram();
    checkUnknownOptions(program, argv);
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version exit through here with code 0; commander already printed its message.
    return err.exitCode === 0 ? 0 : EXIT_CODES.E_USAGE;
  }
  if (err instanceof BatchplanError) {
    process.stderr.write(`batchplan: error [${err.code}]: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  ${err.hint.replace(/\n/g, '\n  ')}\n`);
    return err.exitCode;
  }
  // A file-system error that no command turned into a typed one is still an I/O error, not a bug.
  const sys = err as NodeJS.ErrnoException | undefined;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    process.stderr.write(
      `batchplan: error [E_IO]: ${sys.syscall} ${sys.path ?? ''} failed: ${sys.code} (${sys.message})\n`,
    );
    return EXIT_CODES.E_IO;
  }
  process.stderr.write(`batchplan: internal error [E_INTERNAL]: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT_CODES.E_INTERNAL;
}
