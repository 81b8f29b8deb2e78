// Kubernetes: rendering only (no cluster here). Every manifest must parse and carry what the batch/v1
// Job API requires (checked against the Job schema of Kubernetes' published OpenAPI spec, through
// kubernetes-models, plus the API server's own rules, below), names must be
// DNS-1123 labels, and apply.sh must apply stages in order and stop at a failed Job (run against a
// stand-in kubectl).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { checkOptions } from '../../src/runners/options-schema.js';
import { isDnsLabel, stageResourceName } from '../../src/runners/k8s-names.js';
import { memoryQuantity, mountPathFor } from '../../src/runners/kubernetes.js';
import { loadRunner } from '../../src/runners/registry.js';
import type { RenderContext, RunnerOptions } from '../../src/runners/runner.js';
import { scratch } from '../helpers.js';
import { CONTEXTS, contextFor, NASTY_STAGES } from './contexts.js';

const kubernetes = await loadRunner('kubernetes');

/**
 * A batch/v1 Job as the API server would take it: the structure is checked against the Job schema
 * of Kubernetes' own OpenAPI spec (the kubernetes-models package, generated from it: required fields,
 * types, enums, quantities); below, the rules the API server's validation adds that the OpenAPI
 * schema cannot say: an Indexed Job needs completions; backoffLimitPerIndex needs Indexed and
 * restartPolicy Never; maxFailedIndexes needs backoffLimitPerIndex and at most completions; a pod
 * failure policy needs restartPolicy Never; restartPolicy is Never or OnFailure; each volumeMount
 * names a volume of the pod; names are DNS-1123 labels.
 */
type PodSpec = NonNullable<NonNullable<IJob['spec']>['template']['spec']>;
/** What every rendered Job has (checkJob checks it): a name, a spec, a pod spec. */
type RenderedJob = IJob & {
  metadata: NonNullable<IJob['metadata']> & { name: string };
  spec: NonNullable<IJob['spec']> & { template: { spec: PodSpec } };
};

function checkJob(data: unknown): RenderedJob {
  const job = new Job(data as IJob);
  job.validate(); // throws, naming the field, on anything the OpenAPI schema refuses
  const spec = job.spec!;
  const pod = spec.template.spec!;
  const issues: string[] = [];
  const issue = (message: string) => issues.push(message);
  if (!isDnsLabel(job.metadata!.name!)) issue(`metadata.name ${job.metadata!.name} is not a DNS-1123 label`);
  if (pod.restartPolicy !== 'Never' && pod.restartPolicy !== 'OnFailure')
    issue('restartPolicy must be Never or OnFailure');
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
  for (const c of pod.containers) {
    if (!isDnsLabel(c.name)) issue(`container name ${c.name} is not a DNS-1123 label`);
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) issue(`no volume '${m.name}'`);
  }
  if (issues.length) throw new Error(issues.join('; '));
  return job.toJSON() as RenderedJob;
}

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
      return checkJob(docs[0]!.toJS());
    });

describe('kubernetes manifests', () => {
  it('are checked by the OpenAPI schema: a broken manifest is refused, naming the field', () => {
    const [job] = manifests(withOptions({}));
    const broken = (edit: (j: RenderedJob) => void) => {
      const j = structuredClone(job!);
      edit(j);
      return () => checkJob(j);
    };
    expect(checkJob(structuredClone(job!))).toEqual(job);
    expect(broken((j) => Object.assign(j.spec, { completions: 'two' }))).toThrow(
      /completions must be integer/,
    );
    expect(broken((j) => delete (j.spec.template.spec.containers[0] as { name?: string }).name)).toThrow(
      /required property .?name/,
    );
    expect(broken((j) => Object.assign(j.spec, { completionMode: 'Sometimes' }))).toThrow(/completionMode/);
    expect(broken((j) => Object.assign(j.spec.template.spec, { restartPolicy: 'Always' }))).toThrow(
      /restartPolicy/,
    );
  });

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
