// Each stage's partitions dealt across SSH hosts: the script runs `batchplan run-hosts` per stage
// (src/remote/fan-out.ts does the dealing), stages in order.
import { usageError } from '../errors.js';
import { localView } from './local-view.js';
import type { RenderContext, RenderedFile } from './runner.js';
import { renderTemplate } from './templates.js';

type Options = {
  hosts?: string;
  hostBatchplan?: string;
  sshClient?: string;
  hostAcceptNewKey?: boolean;
  hostSshConfig?: string;
  hostSync?: string;
};

export const render = (ctx: RenderContext<Options>): RenderedFile[] => {
  const { hosts, hostBatchplan, sshClient, hostAcceptNewKey, hostSshConfig, hostSync } = ctx.options;
  if (!hosts)
    throw usageError(
      '--runner ssh needs --hosts: a hosts file or a comma list',
      'e.g. --hosts hosts.txt with lines like 8/alice@ws1, 4/ws2:2222, or : for this machine',
    );
  const view = {
    ...localView(ctx),
    hosts,
    hostBatchplan: hostBatchplan ?? 'batchplan',
    sshClient: sshClient ?? 'ssh2',
    acceptFlag: hostAcceptNewKey ? ' --accept-new-host-key' : '',
    ...(hostSshConfig ? { sshConfig: hostSshConfig } : {}),
    ...(hostSync ? { syncDir: hostSync } : {}),
  };
  return [{ path: 'run.sh', content: renderTemplate('ssh', 'run.sh', view), executable: true }];
};
