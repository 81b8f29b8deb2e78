import { bool, choice, defineRunner, str } from './descriptor.js';

/** Each stage's partitions dealt across SSH hosts (slots per host), stages in order; no scheduler. */
export const ssh = defineRunner({
  name: 'ssh',
  summary:
    'bash script: stages in order, each stage’s partitions dealt across SSH hosts (--hosts, slots per host)',
  table: {
    renders:
      'one bash script running `batchplan run-hosts` per stage: partitions dealt across SSH hosts (`--hosts`, slots per host)',
    run: '`… \\| bash`',
    requires: 'barrier',
    stageOrder: 'stage barrier in the script',
    tested:
      'for real (sshd on 3 loopback hosts + this machine; a host killed mid-run, Ctrl-C) + golden files',
  },
  capabilities: {
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
  },
  flags: {
    hosts: str(
      '--hosts <file|list>',
      'hosts file, [slots/][user@]host[:port] per line (: is this machine), or a comma list; read when the script runs',
    ),
    hostBatchplan: str('--host-batchplan <cmd>', 'how to run batchplan on the hosts (default: batchplan)'),
    hostAcceptNewKey: bool(
      '--host-accept-new-key',
      'trust and record an unknown host key of a host when the script runs (as --accept-new-host-key; never a changed key)',
    ),
    hostSshConfig: str(
      '--host-ssh-config <file>',
      'the ssh_config the script reaches the hosts with (as ssh -F; default ~/.ssh/config): User, Port, IdentityFile, ProxyJump …',
    ),
    hostSync: str(
      '--host-sync <dir>',
      'no shared file system: copy the plan into DIR on each host (~ and $VARS expand there) and bring journals and logs back',
    ),
    sshClient: choice(
      '--ssh-client <client>',
      ['ssh2', 'openssh'],
      'ssh2 (built in) or openssh (the system ssh)',
    ),
  },
  load: () => import('./ssh.js'),
});
