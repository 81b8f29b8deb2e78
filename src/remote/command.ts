// A command given --remote (or BATCHPLAN_REMOTE): one connection for the whole invocation.
//   plan             compiles here, writes the plan directory there (./upload-plan.ts)
//   wait             polls the scheduler there over the connection, reconnecting when it drops
//   report           the remote batchplan writes the page there, we copy it here (./report.ts)
//   everything else  runs the remote batchplan (same version) with the same arguments
import type { Command } from 'commander';
import { loadPlanSpec, printPlanSummary } from '../commands/plan.js';
import { writeSpecPlan } from '../commands/compile-spec.js';
import { waitAndReport, type WaitFlags } from '../commands/wait.js';
import type { PlanStatus } from '../submit/status.js';
import { REMOTE_OPTION_KEYS, openTransport, remoteOf, type RemoteFlags } from './remote-flags.js';
import {
  checkRemoteVersion,
  remoteJson,
  RemoteExit,
  runRemote,
  type RemoteBatchplan,
} from './remote-batchplan.js';
import { uploadPlan } from './upload-plan.js';

export default async function remoteCommand(cmd: Command): Promise<number> {
  const flags = cmd.opts() as RemoteFlags & Record<string, unknown>;
  const f = flags as Parameters<typeof loadPlanSpec>[1] & { output: string; json?: boolean };
  // A bad spec is reported before any connection is made.
  const spec = cmd.name() === 'plan' ? loadPlanSpec(cmd.args[0]!, f) : undefined;
  const t = await openTransport(flags);
  const rb: RemoteBatchplan = {
    t,
    command: flags.remoteBatchplan ?? 'batchplan',
    label: remoteOf(flags)!,
    ...(flags.remoteDir !== undefined ? { remoteDir: flags.remoteDir } : {}),
  };
  try {
    const name = cmd.name();
    if (spec) {
      // No remote batchplan needed to write a plan, but one is needed to use it: check it now.
      await checkRemoteVersion(rb);
      const { loaded, maxTasks } = spec;
      const { dir, file } = await uploadPlan(
        t,
        { remoteDir: flags.remoteDir, output: f.output, force: f.force === true },
        (local) => writeSpecPlan(loaded, local, false, { maxTasks }),
      );
      printPlanSummary(dir, file, f.json);
      return 0;
    }
    if (name === 'wait') {
      const plan = cmd.args[0]!;
      const status = () => remoteJson<PlanStatus>(rb, ['status', '--json', '--', plan]);
      // The plan's absolute path there (and a clear error now if there is no plan).
      const { plan: dir } = await status();
      return await waitAndReport(dir, flags as unknown as WaitFlags, t, () =>
        remoteJson<PlanStatus>(rb, ['status', '--json', '--', dir]),
      );
    }
    if (name === 'report')
      return await (
        await import('./report.js')
      ).remoteReport(rb, cmd.args[0]!, flags as { output?: string; json?: boolean });
    return await runRemote(rb, forwardedArgv(cmd), name !== 'submit' && name !== 'cancel');
  } catch (err) {
    if (err instanceof RemoteExit) return err.exitCode;
    throw err;
  } finally {
    await t.close();
  }
}

/** The command line again, for the remote batchplan: the flags given (not defaults), minus ours. */
export function forwardedArgv(cmd: Command): string[] {
  const argv = [cmd.name()];
  for (const o of cmd.options) {
    const key = o.attributeName();
    if (REMOTE_OPTION_KEYS.has(key) || cmd.getOptionValueSource(key) !== 'cli' || !o.long) continue;
    const v = cmd.getOptionValue(key) as unknown;
    if (!o.required && !o.optional) {
      if (v === true) argv.push(o.long);
    } else if (Array.isArray(v)) for (const x of v) argv.push(o.long, String(x));
    else argv.push(o.long, String(v));
  }
  return [...argv, '--', ...cmd.args];
}
