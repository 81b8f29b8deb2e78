// Kubernetes: rendering only (no cluster here). Every manifest must parse and carry what the batch/v1
// Job API requires (checked with a zod schema written from the API reference, below), names must be
// DNS-1123 labels, and apply.sh must apply stages in order and stop at a failed Job (run against a
// stand-in kubectl).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { checkOptions } from '../../src/runners/options-schema.js';
import { isDnsLabel, stageResourceName } from '../../src/runners/k8s-names.js';
import { memoryQuantity, mountPathFor } from '../../src/runners/kubernetes.js';
import { loadRunner } from '../../src/runners/registry.js';
import type { RenderContext, RunnerOptions } from '../../src/runners/runner.js';
import { scratch } from '../helpers.js';
import { CONTEXTS, contextFor, NASTY_STAGES } from './contexts.js';

const kubernetes = await loadRunner('kubernetes');

const dnsLabel = z.string().refine(isDnsLabel, 'a DNS-1123 label');
const quantity = z.union([z.string().regex(/^\d+(\.\d+)?([KMGTPE]i|[kMGTPE]|m)?$/), z.number()]);

/**
 * batch/v1 Job, the fields the API server requires or checks for what we set (Job and PodSpec
 * reference): a pod template with at least one container (name, image), restartPolicy Never or
 * OnFailure; an Indexed Job needs completions; backoffLimitPerIndex needs Indexed and restartPolicy
 * Never; maxFailedIndexes needs backoffLimitPerIndex and at most completions; a pod failure policy
 * needs restartPolicy Never; each volumeMount names a volume of the pod.
 */
const container = z.object({
  name: dnsLabel,
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  resources: z
    .object({ requests: z.record(z.string(), quantity), limits: z.record(z.string(), quantity) })
    .partial()
    .optional(),
  volumeMounts: z.array(z.object({ name: dnsLabel, mountPath: z.string().startsWith('/') })).optional(),
});
const jobSchema = z
  .object({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('Job'),
    metadata: z.object({
      name: dnsLabel,
      namespace: dnsLabel.optional(),
      labels: z.record(z.string(), z.string().max(63)).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
    spec: z.object({
      completionMode: z.enum(['NonIndexed', 'Indexed']).optional(),
      completions: z.int().nonnegative().optional(),
      parallelism: z.int().nonnegative().optional(),
      backoffLimit: z.int().nonnegative().optional(),
      backoffLimitPerIndex: z.int().nonnegative().optional(),
      maxFailedIndexes: z.int().nonnegative().optional(),
      podFailurePolicy: z
        .object({
          rules: z.array(z.object({ action: z.enum(['FailJob', 'FailIndex', 'Ignore', 'Count']) }).loose()),
        })
        .optional(),
      template: z.object({
        metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).optional(),
        spec: z.object({
          restartPolicy: z.enum(['Never', 'OnFailure']),
          activeDeadlineSeconds: z.int().positive().optional(),
          containers: z.array(container).min(1),
          volumes: z
            .array(
              z.object({ name: dnsLabel, persistentVolumeClaim: z.object({ claimName: z.string().min(1) }) }),
            )
            .optional(),
        }),
      }),
    }),
  })
  .superRefine((job, ctx) => {
    const { spec } = job;
    const pod = spec.template.spec;
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (spec.completionMode === 'Indexed' && spec.completions === undefined)
      issue('an Indexed Job needs completions');
    if (spec.backoffLimitPerIndex !== undefined) {
      if (spec.completionMode !== 'Indexed') issue('backoffLimitPerIndex needs completionMode Indexed');
      if (pod.restartPolicy !== 'Never') issue('backoffLimitPerIndex needs restartPolicy Never');
    }
    if (spec.maxFailedIndexes !== undefined) {
      if (spec.backoffLimitPerIndex === undefined) issue('maxFailedIndexes needs backoffLimitPerIndex');
      if (spec.maxFailedIndexes > (spec.completions ?? 0)) issue('maxFailedIndexes exceeds completions');
    }
    if (spec.podFailurePolicy && pod.restartPolicy !== 'Never')
      issue('podFailurePolicy needs restartPolicy Never');
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const c of pod.containers)
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) issue(`no volume '${m.name}'`);
  });

const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;
const withOptions = (options: RunnerOptions, base: RenderContext = sweep): RenderContext =>
  contextFor(kubernetes, { ...base, options });
const manifests = (ctx: RenderContext) =>
  kubernetes
    .render(ctx)
    .filter((f) => f.path.endsWith('.yaml'))
    .map((f) => {
      const docs = parseAllDocuments(f.content) as ReturnType<typeof parseAllDocuments> & unknown[];
      expect(docs).toHaveLength(1);
      expect(docs[0]!.errors).toEqual([]);
      return jobSchema.parse(docs[0]!.toJS());
    });

describe('kubernetes manifests', () => {
  it.each(CONTEXTS.map((c) => [c.name, c.ctx] as const))(
    'are valid batch/v1 Indexed Jobs, one per stage (context %s)',
    (_name, ctx) => {
      const jobs = manifests(contextFor(kubernetes, ctx));
      expect(jobs).toHaveLength(ctx.stages.length);
      jobs.forEach((job, k) => {
        const stage = ctx.stages[k]!;
        expect(job.spec.completionMode).toBe('Indexed');
        expect(job.spec.completions).toBe(stage.partitions);
        // --max-running throttles the partitions running at once; never more than the stage has.
        expect(job.spec.parallelism).toBe(Math.min(ctx.options.maxRunning ?? Infinity, stage.partitions));
        const [c] = job.spec.template.spec.containers;
        // The hostile plan path and stage name arrive intact, as argv values.
        expect(c!.command!.slice(-4)).toEqual([ctx.planDir, stage.name, String(ctx.n), 'auto']);
        expect(job.metadata.annotations!['batchplan.io/stage']).toBe(stage.name);
        expect(job.metadata.annotations!['batchplan.io/plan-dir']).toBe(ctx.planDir);
      });
    },
  );

  it('throttles with --max-running, asks for resources, and bounds each pod by --time', () => {
    const ctx = withOptions({ maxRunning: 2, namespace: 'science', nprocs: 3 });
    ctx.stages = ctx.stages.map((s) => ({
      ...s,
      resources: { cpusPerTask: 4, mem: '16G', gpus: 1, time: 3600 },
    }));
    const [job] = manifests(ctx);
    expect(job!.metadata.namespace).toBe('science');
    expect(job!.spec.parallelism).toBe(2);
    expect(job!.spec.template.spec.activeDeadlineSeconds).toBe(3600);
    const [c] = job!.spec.template.spec.containers;
    expect(c!.resources).toEqual({
      requests: { cpu: '4', memory: '16Gi' },
      limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': 1 },
    });
    expect(c!.command).toContain('--nprocs');
  });

  it('converts memory to binary quantities', () => {
    expect(memoryQuantity('4G')).toBe('4Gi');
    expect(memoryQuantity('500m')).toBe('500Mi');
    expect(memoryQuantity('1.5GB')).toBe('1.5Gi');
    expect(memoryQuantity(2048)).toBe('2048Mi');
  });

  it('derives DNS-1123 label names from any stage name, unique per plan and stage', () => {
    for (const name of [...Object.values(NASTY_STAGES), 'A'.repeat(200), '---', 'Ünïcödé']) {
      const n = stageResourceName('/data/sweep.plan', 12, name);
      expect(isDnsLabel(n), n).toBe(true);
      expect(n.length).toBeLessThanOrEqual(52);
    }
    expect(stageResourceName('/a.plan', 0, 'x')).not.toBe(stageResourceName('/b.plan', 0, 'x'));
    expect(stageResourceName('/a.plan', 0, 'x')).not.toBe(stageResourceName('/a.plan', 1, 'x'));
  });

  it('mounts the volume so that pods see the plan at the same absolute path', () => {
    expect(mountPathFor('/data/sweep.plan', undefined)).toBe('/data');
    expect(mountPathFor('/data/sweep.plan', '/data/')).toBe('/data');
    expect(mountPathFor('/data/sweep.plan', '/data/sweep.plan')).toBe('/data/sweep.plan');
    expect(() => mountPathFor('/data/sweep.plan', '/mnt')).toThrow(/not under --mount-path/);
    expect(() => mountPathFor('/data/sweep.plan', '/dat')).toThrow(/not under --mount-path/);
  });

  it('needs --image and --volume: its options schema says so, with a clear usage error', () => {
    expect(() => checkOptions(kubernetes, {})).toThrow(/^--image: required: the container image/);
    expect(() => checkOptions(kubernetes, { image: 'x' })).toThrow(
      /^--volume: required: the PersistentVolumeClaim/,
    );
    expect(checkOptions(kubernetes, { image: 'x', volume: 'v' })).toEqual({ image: 'x', volume: 'v' });
  });
});

describe('kubernetes apply.sh', () => {
  /** Run apply.sh with a stand-in kubectl; jobs whose name matches FAIL_JOB end Failed. */
  function applyWith(failJob: string) {
    const dir = scratch('batchplan-k8s-');
    const bin = join(dir, 'bin');
    const out = join(dir, 'out');
    mkdirSync(bin);
    mkdirSync(out);
    const log = join(dir, 'kubectl.log');
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/usr/bin/env bash
echo "$*" >> "$KUBECTL_LOG"
case "$1" in
  get) exit 1 ;;
  apply) exit 0 ;;
  wait)
    job=$(printf '%s\\n' "$@" | sed -n 's|^job/||p')
    failing=0; [[ -n "$FAIL_JOB" && $job == *"$FAIL_JOB"* ]] && failing=1
    if [[ $* == *condition=complete* ]]; then [ $failing = 0 ] && exit 0; exec sleep 30; fi
    if [[ $* == *condition=failed* ]]; then [ $failing = 1 ] && exit 0; exec sleep 30; fi ;;
esac
`,
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    for (const f of kubernetes.render(withOptions({ namespace: 'ns1' }))) {
      writeFileSync(join(out, f.path), f.content);
      if (f.executable) chmodSync(join(out, f.path), 0o755);
    }
    const r = spawnSync(join(out, 'apply.sh'), [], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECTL_LOG: log, FAIL_JOB: failJob },
    });
    const applied = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('apply'))
      .map((l) => l.replace(/.*\//, ''));
    return { r, applied };
  }

  it('applies each stage after the one before it completed', () => {
    const { r, applied } = applyWith('');
    expect(r.status, r.stderr).toBe(0);
    expect(applied).toEqual(['stage-0.yaml', 'stage-1.yaml']);
  });

  it('stops at once, exit 1, when a stage’s Job fails', () => {
    const { r, applied } = applyWith('-0-extract');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stage extract');
    expect(applied).toEqual(['stage-0.yaml']);
  });
});
