// Kubernetes: one Indexed Job manifest per stage (completions = the stage's partitions, each pod runs
// `batchplan run-partition <plan> <stage> N auto`, JOB_COMPLETION_INDEX being its zero-based index)
// and apply.sh, which applies the stages in order and waits for each Job to complete, stopping at
// the first that fails. The manifests are built as objects and written with the yaml package: no
// value is ever spliced into YAML or shell text, and the container's command is an argv.
// Rendering only: no cluster here; tests check golden files and the fields batch/v1 requires.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { usageError } from '../errors.js';
import type { Resources } from '../plan/model.js';
import { partitionGpus } from './directives.js';
import { planHash, stageResourceName } from './k8s-names.js';
import { runPartitionArgs } from './run-partition-flags.js';
import type { KubernetesOptions } from './kubernetes-descriptor.js';
import type { RenderContext, RenderedFile, RenderStage } from './runner.js';
import { renderTemplate } from './templates.js';

/** Pod failures other than "tasks failed" (evicted, OOM-killed, deadline) retried per partition. */
export const RETRIES_PER_PARTITION = 2;
/** The container's name, which the pod failure policy refers to. */
export const CONTAINER = 'run-partition';
/** Largest completions for which maxFailedIndexes may exceed 10^4 (the Job API's rule). */
const MANY_INDEXES = 100_000;

const stageFile = (index: number) => `stage-${index}.yaml`;

/** Memory as the user wrote it (4G, 500M, or a number of MB) as a Kubernetes quantity (binary units). */
export function memoryQuantity(mem: string | number): string {
  if (typeof mem === 'number' || /^\d+(\.\d+)?$/.test(mem)) return `${mem}Mi`;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])?B?$/i.exec(mem);
  if (!m) throw usageError(`memory '${mem}' is not a size (e.g. 16G, 500M)`);
  return m[2] ? `${m[1]}${m[2].toUpperCase()}i` : `${m[1]}`;
}

/** What a pod cannot be asked for: refused rather than silently dropped. */
const UNSUPPORTED = ['account', 'partition', 'qos', 'constraint', 'nodes'] as const;

function containerResources(r: Resources) {
  const bad = UNSUPPORTED.find((k) => r[k] !== undefined);
  if (bad)
    throw usageError(
      `runner 'kubernetes' has no counterpart for the resource '${bad}'`,
      'Remove it from the flags or the spec’s resources for this runner (a Job sets cpu, memory, GPUs and --time only).',
    );
  const requests: Record<string, string> = {};
  const limits: Record<string, string | number> = {};
  if (r.cpusPerTask !== undefined) requests.cpu = limits.cpu = String(r.cpusPerTask);
  if (r.mem !== undefined) requests.memory = limits.memory = memoryQuantity(r.mem);
  const gpus = partitionGpus(r);
  if (gpus !== undefined) limits['nvidia.com/gpu'] = gpus;
  return Object.keys(limits).length ? { requests, limits } : undefined;
}

/** Where the volume is mounted: --mount-path, else the plan directory's parent. */
export function mountPathFor(planDir: string, mountPath: string | undefined): string {
  const mount = mountPath ? posix.normalize(mountPath).replace(/(.)\/+$/, '$1') : posix.dirname(planDir);
  if (!posix.isAbsolute(mount)) throw usageError(`--mount-path '${mountPath}' is not an absolute path`);
  if (planDir !== mount && !planDir.startsWith(mount === '/' ? '/' : `${mount}/`))
    throw usageError(
      `the plan directory ${planDir} is not under --mount-path ${mount}`,
      'Pods see the plan at the same absolute path as here: mount the volume at the plan directory or a directory above it.',
    );
  return mount;
}

export function stageManifest(ctx: RenderContext<KubernetesOptions>, s: RenderStage) {
  const { image, volume, namespace } = ctx.options;
  const name = stageResourceName(ctx.planDir, s.index, s.name);
  const labels = {
    'app.kubernetes.io/managed-by': 'batchplan',
    'batchplan.io/plan': planHash(ctx.planDir),
    'batchplan.io/stage-index': String(s.index),
  };
  const partitions = s.partitions;
  const resources = containerResources(s.resources);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels,
      annotations: {
        'batchplan.io/plan-dir': ctx.planDir,
        'batchplan.io/stage': s.name,
        'batchplan.io/version': ctx.batchplanVersion,
      },
    },
    spec: {
      completionMode: 'Indexed',
      completions: partitions,
      parallelism: Math.min(ctx.options.maxRunning ?? partitions, partitions),
      // Retries per index (not per Job); every index runs to its end before the Job is Failed.
      backoffLimitPerIndex: RETRIES_PER_PARTITION,
      maxFailedIndexes: partitions > MANY_INDEXES ? 10_000 : partitions,
      podFailurePolicy: {
        rules: [
          // Preemption, eviction, node drain: not the partition's fault, not counted.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          // run-partition exits 1 when tasks failed (after their own retries): no use running it again.
          { action: 'FailIndex', onExitCodes: { containerName: CONTAINER, operator: 'In', values: [1] } },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(s.resources.time !== undefined ? { activeDeadlineSeconds: s.resources.time } : {}),
          containers: [
            {
              name: CONTAINER,
              image,
              // argv, not shell text: the plan path and stage name arrive as they are. The batchplan
              // command is shell code (e.g. `batchplan`, or `node /opt/batchplan/bin/batchplan.js`).
              command: [
                '/bin/sh',
                '-c',
                `${ctx.batchplanCommand} "$@"`,
                'batchplan',
                'run-partition',
                ...runPartitionArgs(ctx.options),
                '--',
                ctx.planDir,
                s.name,
                String(ctx.n),
                'auto',
              ],
              ...(resources ? { resources } : {}),
              volumeMounts: [{ name: 'plan', mountPath: mountPathFor(ctx.planDir, ctx.options.mountPath) }],
            },
          ],
          volumes: [{ name: 'plan', persistentVolumeClaim: { claimName: volume } }],
        },
      },
    },
  };
}

export function render(ctx: RenderContext<KubernetesOptions>): RenderedFile[] {
  // --image and --volume are required by the options schema (kubernetes-descriptor.ts).
  const manifests = ctx.stages.map((s) => ({
    path: stageFile(s.index),
    content:
      `# Generated by batchplan ${ctx.batchplanVersion} (runner: kubernetes). Stage ${s.index + 1}/${ctx.stages.length}: ` +
      `${s.tasks} task(s) in ${s.partitions} partition(s), one Job index each.\n` +
      stringify(stageManifest(ctx, s), { lineWidth: 0, aliasDuplicateObjects: false }),
    executable: false,
  }));
  const driver = renderTemplate('kubernetes', 'apply.sh', {
    version: ctx.batchplanVersion,
    namespace: ctx.options.namespace ?? '',
    stageCount: ctx.stages.length,
    stages: ctx.stages.map((s) => ({
      ...s,
      number: s.index + 1,
      job: stageResourceName(ctx.planDir, s.index, s.name),
      file: stageFile(s.index),
    })),
  });
  return [{ path: 'apply.sh', content: driver, executable: true }, ...manifests];
}
