import { join } from 'node:path';
import { BatchplanError, usageError } from '../errors.js';
import { readSubmissions, stampNow } from '../submit/record.js';
import { activeJobIds, querySubmission } from '../submit/scheduler-state.js';
import { submissionArgv, submitPlan } from '../submit/submit.js';
import { localTransport, type Transport } from '../submit/transport.js';
import { shellQuote } from '../util/shell-quote.js';
import { contextFromFlags, writeRendered } from './generate-script.js';
import { note, printJson } from './output.js';
import type { RunnerFlags } from './runner-flags.js';

interface Options extends RunnerFlags {
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
}

export default async function submit(planDir: string, nArg: string, opts: Options): Promise<number> {
  const transport: Transport = localTransport;
  const { ctx, runner } = contextFromFlags(planDir, nArg, opts);
  const scheduler = runner.scheduler;
  if (!runner.capabilities.canSubmit || !scheduler || !runner.submissions)
    throw usageError(
      `runner '${runner.name}' cannot submit`,
      'Use generate-script and run the script yourself.',
    );

  if (!opts.dryRun) {
    for (const command of scheduler.commands)
      if (!(await transport.has(command)))
        throw new BatchplanError(
          'E_SUBMIT_FAILED',
          `${command} not found: is this a ${runner.name} login node?`,
          'Use generate-script to render the scripts only.',
        );
    if (!opts.force) {
      const previous = readSubmissions(ctx.planDir).at(-1);
      if (previous) {
        const active = activeJobIds(await querySubmission(transport, previous));
        if (active.length)
          throw usageError(
            `plan ${ctx.planDir} already has jobs queued or running (${active.join(', ')})`,
            'Wait for them (batchplan wait), cancel them (batchplan cancel), or pass --force to submit again anyway.',
          );
      }
    }
  }
  // The site's array limit, when the scheduler tells it (Slurm: MaxArraySize); a flag can only lower it.
  if (
    scheduler.configArgv &&
    scheduler.parseMaxArraySize &&
    (await transport.has(scheduler.configArgv[0]!))
  ) {
    const r = await transport.run(scheduler.configArgv);
    const site = r.exitCode === 0 ? scheduler.parseMaxArraySize(r.stdout) : undefined;
    if (site !== undefined) ctx.options.maxArraySize = Math.min(site, ctx.options.maxArraySize ?? site);
  }

  const files = runner.render(ctx);
  const dir = join(ctx.planDir, 'scripts', `${stampNow()}-${runner.name}`);
  if (opts.dryRun) {
    const subs = runner.submissions(ctx);
    const argv = submissionArgv(runner, ctx, subs, dir, []);
    if (opts.json) printJson({ dryRun: true, dir, files: files.map((f) => f.path), commands: argv });
    else {
      process.stdout.write(
        `# would write ${files.length} file(s) to ${dir}: ${files.map((f) => f.path).join(', ')}\n`,
      );
      for (const a of argv) process.stdout.write(a.map(shellQuote).join(' ') + '\n');
    }
    return 0;
  }
  writeRendered(dir, files);
  const result = await submitPlan(transport, runner, ctx, dir);
  const stages = ctx.stages.map(({ name, tasks, partitions }) => ({ name, tasks, partitions }));
  if (opts.json)
    printJson({
      runner: runner.name,
      n: ctx.n,
      stages,
      jobIds: result.jobIds,
      scripts: dir,
      record: result.record,
    });
  else
    note(
      `submitted ${result.jobIds.length} job(s) (${result.jobIds.join(', ')}) for ${stages.map((s) => `${s.name}: ${s.partitions} partition(s)`).join(', ')}; scripts in ${dir}`,
    );
  return 0;
}
