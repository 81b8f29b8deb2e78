import { image, maxRunning } from './common-flags.js';
import { defineRunner, str, type OptionsOf } from './descriptor.js';

const flags = {
  maxRunning,
  image,
  namespace: str('--namespace <ns>', 'namespace'),
  volume: str('--volume <claim>', 'PersistentVolumeClaim that holds the plan directory'),
  mountPath: str('--mount-path <path>', 'where the volume is mounted (default: the plan’s parent directory)'),
};

export type KubernetesOptions = OptionsOf<typeof flags>;

/** Kubernetes: an Indexed Job per stage, applied in order by apply.sh; rendering only. */
export const kubernetes = defineRunner({
  name: 'kubernetes',
  summary: 'an Indexed Job manifest per stage + apply.sh applying them in order (rendering only)',
  table: {
    renders: 'one Indexed Job manifest per stage + `apply.sh`',
    run: '`bash apply.sh` (kubectl)',
    requires: 'barrier',
    stageOrder: '`kubectl wait --for=condition=complete` before the next stage',
    tested:
      "golden files + the Job schema of Kubernetes' OpenAPI spec (kubernetes-models) and the API server's rules (no cluster here)",
  },
  capabilities: {
    indexVariables: [{ name: 'JOB_COMPLETION_INDEX', oneBased: false, scheduler: 'Kubernetes' }],
    oneBased: false,
    canSubmit: false,
    runsLocally: false,
  },
  flags,
  // What a Job cannot do without: checked with the flags, before anything is rendered.
  options: (z, base) =>
    base.extend({
      image: z
        .string({
          error:
            'required: the container image the partitions run in (it must provide batchplan, see --batchplan-command, and /bin/sh)',
        })
        .min(1),
      volume: z
        .string({
          error:
            'required: the PersistentVolumeClaim that holds the plan directory (pods mount it at --mount-path, default the plan’s parent, and see the plan at the same path)',
        })
        .min(1),
    }),
  // A Job sets cpu, memory, GPUs and a deadline only.
  resources: ['time', 'cpusPerTask', 'mem', 'gpus', 'gpusPerTask'],
  remoteBatchplanCommand: 'batchplan',
  load: () => import('./kubernetes.js'),
});
