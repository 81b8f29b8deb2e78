// run-hosts: one stage's partitions across SSH hosts (what --runner ssh's script runs per stage).
import { resolve } from 'node:path';
import { fanOut } from '../remote/fan-out.js';
import { loadHosts } from '../remote/hosts.js';
import { positiveInt, optionalPositiveInt } from './args.js';
import { selfCommand } from './generate-script.js';

interface Options {
  hosts: string;
  nprocs?: string;
  hostBatchplan?: string;
  ssh?: 'ssh2' | 'openssh';
  acceptNewHostKey?: boolean;
  parentPid?: string;
}

export default async function runHosts(
  plan: string,
  stage: string,
  nArg: string,
  opts: Options,
): Promise<number> {
  const nprocs = optionalPositiveInt('--nprocs', opts.nprocs);
  const parentPid = optionalPositiveInt('--parent-pid', opts.parentPid);
  return fanOut({
    planDir: resolve(plan),
    stage,
    n: positiveInt('N', nArg),
    ...(nprocs !== undefined ? { nprocs } : {}),
    hosts: loadHosts(opts.hosts),
    hostBatchplan: opts.hostBatchplan ?? 'batchplan',
    localBatchplan: selfCommand(),
    ssh: opts.ssh ?? 'ssh2',
    acceptNewHostKey: opts.acceptNewHostKey === true,
    ...(parentPid !== undefined ? { parentPid } : {}),
  });
}
