// run-hosts: one stage's partitions across SSH hosts (what --runner ssh's script runs per stage).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError } from '../errors.js';
import { fanOut } from '../remote/fan-out.js';
import { loadHosts } from '../remote/hosts.js';
import { positiveInt, optionalPositiveInt } from './args.js';
import { selfCommand } from './generate-script.js';

interface Options {
  hosts: string;
  nprocs?: string;
  skipFailures?: boolean;
  hostBatchplan?: string;
  ssh?: 'ssh2' | 'openssh';
  acceptNewHostKey?: boolean;
  parentPid?: string;
  sshConfig?: string;
  sync?: string;
}

export default async function runHosts(
  plan: string,
  stage: string,
  nArg: string,
  opts: Options,
): Promise<number> {
  const nprocs = optionalPositiveInt('--nprocs', opts.nprocs);
  const parentPid = optionalPositiveInt('--parent-pid', opts.parentPid);
  if (opts.sshConfig !== undefined) {
    // Both clients read it from here (ssh2 as ssh -F; the system ssh is given -F).
    if (!existsSync(opts.sshConfig))
      throw usageError(`--ssh-config: no such file '${opts.sshConfig}'`, 'Name an ssh_config file.');
    process.env.BATCHPLAN_SSH_CONFIG = resolve(opts.sshConfig);
  }
  return fanOut({
    planDir: resolve(plan),
    stage,
    n: positiveInt('N', nArg),
    ...(nprocs !== undefined ? { nprocs } : {}),
    ...(opts.skipFailures ? { skipFailures: true } : {}),
    hosts: loadHosts(opts.hosts),
    hostBatchplan: opts.hostBatchplan ?? 'batchplan',
    localBatchplan: selfCommand(),
    ssh: opts.ssh ?? 'ssh2',
    acceptNewHostKey: opts.acceptNewHostKey === true,
    ...(parentPid !== undefined ? { parentPid } : {}),
    ...(opts.sync !== undefined ? { sync: opts.sync } : {}),
  });
}
