// One suite over every runner in the registry and every fixed context: what any runner's output
// must do, whatever engine runs it. The entry scripts of runners that run the plan where they are
// executed (capabilities.runsLocally) are executed for real, with the batchplan command replaced by
// fake-batchplan.mjs, which records each run-partition call. For runners that hand the plan to a
// scheduler or a cluster, what the scheduler would run is executed instead: each per-stage script
// (its directive lines are comments to bash) or each container command / job command found in the
// YAML they render, with the runner's array index variable set as the scheduler would set it. That
// proves the partition-index wiring (`auto`, one-based conversion only in partition-index.ts) and
// that no plan path or stage name breaks or injects. Their engines are tested by their own tests.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { INDEX_VARIABLES, resolvePartitionIndex } from '../../src/exec/partition-index.js';
import { loadRunner, loadRunners } from '../../src/runners/registry.js';
import type { RenderContext, RenderedFile, RenderStage, Runner } from '../../src/runners/runner.js';
import { shellQuote } from '../../src/util/shell-quote.js';
import { scratch } from '../helpers.js';
import { CONTEXTS, contextFor, PWNED, type NamedContext } from './contexts.js';

const RUNNERS = await loadRunners();
const SEQUENTIAL = await loadRunner('sequential');
const GNU_PARALLEL = await loadRunner('gnu-parallel');

const root = scratch('batchplan-conformance-');

// The fake lives in a directory whose name needs quoting too: the batchplan command is shell code.
const fakeDir = join(root, "fake bin's $dir");
mkdirSync(fakeDir);
const FAKE = join(fakeDir, 'batchplan.mjs');
copyFileSync(join(import.meta.dirname, 'fake-batchplan.mjs'), FAKE);
const FAKE_COMMAND = `${shellQuote(process.execPath)} ${shellQuote(FAKE)}`;

interface Call {
  event: 'start' | 'end';
  /** Values of FAKE_RECORD_ENV's variables as the fake saw them. */
  env: Record<string, string | null>;
  pid: number;
  argv: string[];
  command: string;
  options: Record<string, string | true>;
  positionals: string[];
  errors: string[];
  plan?: string;
  stage?: string;
  n?: string;
  index: number | null;
}

interface Execution {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Start and end records, in the order they were written. */
  events: Call[];
  starts: Call[];
  /** Directory the script ran in (where an injected `touch pwned-…` would land). */
  runDir: string;
}

interface ExecOptions {
  rules?: { stage: string; index: number; code: number }[];
  sleepMs?: number;
  /** Feed the entry file to `bash` on standard input instead of running it. */
  viaStdin?: boolean;
  /** The fake reads its standard input to the end, as ssh or srun would. */
  readStdin?: boolean;
}

let runs = 0;

function writeFiles(dir: string, files: RenderedFile[]): void {
  for (const f of files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    if (f.executable) chmodSync(path, 0o755);
  }
}

/** Render for `runner` with the fake as batchplan and run the entry file in a fresh directory. */
function execute(runner: Runner, ctx: RenderContext, opts: ExecOptions = {}): Execution {
  const dir = join(root, `${runner.name}-${++runs}`);
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const files = runner.render({ ...contextFor(runner, ctx), batchplanCommand: FAKE_COMMAND });
  writeFiles(join(dir, 'script'), files);
  const log = join(dir, 'calls.jsonl');
  const env = {
    ...process.env,
    FAKE_LOG: log,
    FAKE_EXIT_RULES: JSON.stringify(opts.rules ?? []),
    FAKE_SLEEP_MS: String(opts.sleepMs ?? 0),
    FAKE_READ_STDIN: opts.readStdin ? '1' : '0',
    FAKE_INDEX_ENV: runner.capabilities.indexVariables?.[0]?.name ?? '',
  };
  const spawnOpts = { cwd: runDir, env, encoding: 'utf8' as const, timeout: 60_000 };
  const r = opts.viaStdin
    ? spawnSync('bash', [], { ...spawnOpts, input: files[0]!.content })
    : spawnSync(join(dir, 'script', files[0]!.path), [], spawnOpts);
  const events: Call[] = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
    : [];
  return {
    code: r.status,
    signal: r.signal,
    stderr: r.stderr,
    events,
    starts: events.filter((e) => e.event === 'start'),
    runDir,
  };
}

/**
 * Register a test or group only where it applies. A skipped test would read, in CI, like a missing
 * engine; a runner that hands the script to a scheduler is executed by its own engine tests instead.
 */
const notApplicable = Object.assign(() => undefined, { each: () => () => undefined });
const itIf = (applies: boolean) => (applies ? it : (notApplicable as unknown as typeof it));
const describeIf = (applies: boolean) => (applies ? describe : (notApplicable as unknown as typeof describe));

/** Exit 127 is how a script says its engine is missing: fail in CI, skip locally. */
function engineMissing(r: Execution, skip: (note: string) => void): boolean {
  if (r.code !== 127) return false;
  if (process.env.BATCHPLAN_REQUIRE_ENGINES === '1') return false;
  skip(`engine not installed: ${r.stderr.trim()}`);
  return true;
}

/** Every call is `run-partition [options] -- <plan> <stage> <N> <i>` with intact arguments. */
function expectWellFormed(r: Execution, runner: Runner, ctx: RenderContext): void {
  const names = ctx.stages.map((s) => s.name);
  const nprocs = contextFor(runner, ctx).options.nprocs;
  for (const call of r.starts) {
    const what = JSON.stringify(call.argv);
    expect(call.errors, what).toEqual([]);
    expect(call.plan, what).toBe(ctx.planDir);
    expect(names, what).toContain(call.stage);
    expect(call.n, what).toBe(String(ctx.n));
    const stage = ctx.stages.find((s) => s.name === call.stage)!;
    expect(call.index, what).not.toBeNull();
    expect(call.index!, what).toBeGreaterThanOrEqual(0);
    expect(call.index!, what).toBeLessThan(stage.partitions);
    expect(call.options['--nprocs'], what).toBe(nprocs === undefined ? undefined : String(nprocs));
  }
}

/** Partition indices each stage ran, sorted; stages that did not run are absent. */
function partitionsRun(r: Execution): Map<string, number[]> {
  const ran = new Map<string, number[]>();
  for (const c of r.starts) ran.set(c.stage!, [...(ran.get(c.stage!) ?? []), c.index!]);
  for (const list of ran.values()) list.sort((a, b) => a - b);
  return ran;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every event of a stage comes after every event of the stages before it: the barrier holds. */
function expectStageOrder(r: Execution, ctx: RenderContext): void {
  const order = ctx.stages.map((s) => s.name);
  let highest = -1;
  let lastEnd = -1; // position of the last event of the stage before
  const spans = new Map<number, { first: number; last: number }>();
  r.events.forEach((e, pos) => {
    const k = order.indexOf(e.stage!);
    const span = spans.get(k) ?? { first: pos, last: pos };
    span.last = pos;
    spans.set(k, span);
  });
  for (const [k, span] of [...spans].sort(([a], [b]) => a - b)) {
    expect(k, 'stages ran in plan order').toBeGreaterThan(highest);
    expect(span.first, `stage ${order[k]} started before the stage before it ended`).toBeGreaterThan(lastEnd);
    highest = k;
    lastEnd = span.last;
  }
}

/**
 * Task-level requires, partitions run one at a time: every partition of a stage with `requires`
 * starts after every partition it needs ended. (Run at once, as GNU parallel does, the script only
 * lists them in that order, which the golden files show; run-partition waits for the tasks.)
 */
function expectPrerequisitesEnded(r: Execution, ctx: RenderContext): void {
  const at = (kind: 'start' | 'end', stage: string, index: number) =>
    r.events.findIndex((e) => e.event === kind && e.stage === stage && e.index === index);
  for (const s of ctx.stages)
    for (const need of s.requires ?? []) {
      const before = ctx.stages[need.stage]!.name;
      need.partitions.forEach((parts, p) => {
        const start = at('start', s.name, p);
        if (start < 0) return;
        for (const q of parts) {
          const end = at('end', before, q);
          expect(end, `${s.name} ${p} started before ${before} ${q} ended`).toBeGreaterThanOrEqual(0);
          expect(end, `${s.name} ${p} started before ${before} ${q} ended`).toBeLessThan(start);
        }
      });
    }
}

/** The most partitions that were between their start and end records at one time. */
function maxConcurrent(r: Execution): number {
  let now = 0;
  let max = 0;
  for (const e of r.events) {
    now += e.event === 'start' ? 1 : -1;
    max = Math.max(max, now);
  }
  return max;
}

function expectNoInjection(r: Execution): void {
  expect(readdirSync(r.runDir).filter((f) => PWNED.test(f))).toEqual([]);
}

const isYaml = (f: RenderedFile) => /\.ya?ml$/.test(f.path);
const isBashScript = (f: RenderedFile) => /^#!\/usr\/bin\/env bash\n|^#!\/bin\/bash\n/.test(f.content);

/**
 * What a scheduler or cluster would run for one stage, found in rendered files without knowing the
 * runner: a per-stage bash script running `run-partition … auto` (directive lines are comments to
 * bash); a container's argv in a YAML manifest (`containers[].command` + `args`); or the shell
 * commands of a YAML job (`command`: a list of strings, each running run-partition).
 */
type Unit =
  | { kind: 'script'; file: string }
  | { kind: 'argv'; file: string; argv: string[] }
  | { kind: 'shell'; file: string; command: string };

function unitsOf(files: RenderedFile[]): Unit[] {
  const units: Unit[] = [];
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const walk = (file: string, node: unknown, key?: string): void => {
    if (Array.isArray(node)) {
      if (key === 'containers')
        for (const c of node as Record<string, unknown>[]) {
          const argv = [...(isStrings(c.command) ? c.command : []), ...(isStrings(c.args) ? c.args : [])];
          if (argv.includes('run-partition') || argv.some((a) => a.includes('run-partition')))
            units.push({ kind: 'argv', file, argv });
        }
      else if (key === 'command' && isStrings(node) && node.every((c) => c.includes('run-partition')))
        for (const command of node) units.push({ kind: 'shell', file, command });
      else for (const item of node) walk(file, item);
      return;
    }
    if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) walk(file, v, k);
  };
  for (const f of files) {
    if (isYaml(f))
      for (const doc of parseAllDocuments(f.content) as ReturnType<typeof parseAllDocuments> & unknown[])
        walk(f.path, doc.toJS());
    else if (isBashScript(f) && /run-partition/.test(f.content) && /\bauto\b/.test(f.content))
      units.push({ kind: 'script', file: f.path });
    // A command list (--runner lines): each line is one partition's shell command.
    else if (
      !isBashScript(f) &&
      f.content
        .split('\n')
        .filter(Boolean)
        .every((l) => l.includes('run-partition'))
    )
      for (const command of f.content.split('\n').filter(Boolean))
        units.push({ kind: 'shell', file: f.path, command });
  }
  return units;
}

/** Run one unit with the fake as batchplan and `env` added; the calls it made. */
function runUnit(
  runner: Runner,
  ctx: RenderContext,
  pick: (units: Unit[]) => Unit,
  env: Record<string, string>,
): { code: number | null; stderr: string; starts: Call[]; runDir: string } {
  const dir = join(root, `${runner.name}-unit-${++runs}`);
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const files = runner.render({ ...contextFor(runner, ctx), batchplanCommand: FAKE_COMMAND });
  writeFiles(join(dir, 'script'), files);
  const unit = pick(unitsOf(files));
  const log = join(dir, 'calls.jsonl');
  const clean = { ...process.env };
  for (const v of INDEX_VARIABLES) delete clean[v.name];
  delete clean.BATCHPLAN_ARRAY_OFFSET;
  const fullEnv = {
    ...clean,
    ...env,
    FAKE_LOG: log,
    FAKE_EXIT_RULES: '[]',
    FAKE_SLEEP_MS: '0',
    FAKE_READ_STDIN: '0',
    FAKE_INDEX_ENV: runner.capabilities.indexVariables?.[0]?.name ?? '',
    FAKE_RECORD_ENV: [...INDEX_VARIABLES.map((v) => v.name), 'BATCHPLAN_ARRAY_OFFSET'].join(','),
  };
  const opts = { cwd: runDir, env: fullEnv, encoding: 'utf8' as const, timeout: 60_000 };
  const r =
    unit.kind === 'script'
      ? spawnSync('bash', [join(dir, 'script', unit.file)], opts)
      : unit.kind === 'argv'
        ? spawnSync(unit.argv[0]!, unit.argv.slice(1), opts)
        : spawnSync('bash', ['-c', unit.command], opts);
  const starts: Call[] = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
        .filter((c) => c.event === 'start')
    : [];
  return { code: r.status, stderr: r.stderr, starts, runDir };
}

/** The zero-based partition run-partition would run for this call (partition-index.ts decides). */
function resolvedPartition(call: Call): number {
  const env = Object.fromEntries(Object.entries(call.env).filter(([, v]) => v !== null)) as NodeJS.ProcessEnv;
  const indexVar = call.options['--index-var'];
  return resolvePartitionIndex(call.positionals[3]!, env, {
    offset: Number(call.options['--index-offset'] ?? 0),
    indexVar: typeof indexVar === 'string' ? indexVar : undefined,
    oneBased: call.options['--one-based'] === true,
  });
}

/** How long each fake partition runs where the order of overlapping partitions is checked. */
const PARTITION_MS = 100;

/** Whether a stage of the context needs another's partitions task by task (no stage barrier). */
const taskLevel = (ctx: RenderContext) => ctx.stages.some((s) => s.requires !== undefined);

/** Contexts whose first stage has several partitions and a stage after it, behind a stage barrier. */
const multiStage = CONTEXTS.filter(
  (c) => c.ctx.stages.length > 1 && c.ctx.stages[0]!.partitions > 1 && !taskLevel(c.ctx),
);
/** Contexts with task-level requires. */
const requiresContexts = CONTEXTS.filter((c) => taskLevel(c.ctx));

describe.each(RUNNERS.map((r) => [r.name, r] as const))('runner %s', (_name, runner) => {
  /** Whether running the entry file runs the partitions here (no scheduler to submit to). */
  const runsHere = runner.capabilities.runsLocally;
  /** The entry file is only commands, one per partition (--runner lines). */
  const commandList = runner.capabilities.commandList === true;
  describe.each(CONTEXTS.map((c) => [c.name, c] as const))(
    'context %s',
    (_ctxName, { ctx }: NamedContext) => {
      const render = () => runner.render(contextFor(runner, structuredClone(ctx)));

      itIf(!commandList)('renders an executable entry file that starts with #!/usr/bin/env bash', () => {
        const [entry] = render();
        expect(entry).toBeDefined();
        expect(entry!.content.startsWith('#!/usr/bin/env bash\n')).toBe(true);
        expect(entry!.executable).toBe(true);
      });

      itIf(commandList)(
        'renders one run-partition command per partition, nothing else, in stage order',
        () => {
          const [entry, ...rest] = render();
          expect(rest).toEqual([]);
          const lines = entry!.content.split('\n').slice(0, -1);
          const c = contextFor(runner, ctx);
          expect(lines).toHaveLength(c.stages.reduce((n, s) => n + s.partitions, 0));
          for (const line of lines) expect(line).toMatch(/^\S.* run-partition .* \d+ \d+$/);
        },
      );

      it('renders files with distinct relative paths inside the output directory', () => {
        const paths = render().map((f) => f.path);
        expect(new Set(paths).size).toBe(paths.length);
        for (const p of paths) {
          expect(isAbsolute(p), p).toBe(false);
          expect(normalize(p).startsWith('..'), p).toBe(false);
        }
      });

      it('renders bash scripts that pass bash -n, and YAML that parses', () => {
        const dir = join(root, `syntax-${++runs}`);
        const files = render();
        writeFiles(dir, files);
        for (const f of files) {
          if (isYaml(f)) {
            const docs = parseAllDocuments(f.content);
            for (const doc of Array.isArray(docs) ? docs : [docs])
              expect(
                doc.errors.map((e) => e.message),
                f.path,
              ).toEqual([]);
            continue;
          }
          expect(commandList || isBashScript(f), `${f.path} is neither a bash script nor YAML`).toBe(true);
          const r = spawnSync('bash', ['-n', join(dir, f.path)], { encoding: 'utf8' });
          expect(r.stderr, f.path).toBe('');
          expect(r.status, f.path).toBe(0);
          if (f.executable) expect(statSync(join(dir, f.path)).mode & 0o111).not.toBe(0);
        }
      });

      it('renders the same bytes every time, and leaves its input alone', () => {
        const input = structuredClone(ctx);
        const first = runner.render(contextFor(runner, input));
        expect(input).toEqual(ctx);
        expect(render()).toEqual(first);
      });

      itIf(runsHere)(
        'runs each partition of each stage once, stages in order, each argument intact',
        ({ skip }) => {
          // With requires, partitions take a while, so that a runner running several at once shows it.
          const r = execute(runner, ctx, taskLevel(ctx) ? { sleepMs: PARTITION_MS } : {});
          if (engineMissing(r, skip)) return;
          expect(r.code, r.stderr).toBe(0);
          expectWellFormed(r, runner, ctx);
          const ran = partitionsRun(r);
          const names = ctx.stages.map((s) => s.name);
          // In plan order, except where partitions run at once with no stage barrier.
          expect([...ran.keys()].sort()).toEqual([...names].sort());
          if (!taskLevel(ctx) || maxConcurrent(r) === 1) expect([...ran.keys()]).toEqual(names);
          for (const s of ctx.stages) expect(ran.get(s.name), s.name).toEqual(range(s.partitions));
          if (taskLevel(ctx)) {
            if (maxConcurrent(r) === 1) expectPrerequisitesEnded(r, ctx);
          } else expectStageOrder(r, ctx);
          expectNoInjection(r);
        },
      );

      itIf(runsHere)(
        'runs to the end when piped into bash, even if batchplan reads standard input',
        ({ skip }) => {
          const r = execute(runner, ctx, { viaStdin: true, readStdin: true });
          if (engineMissing(r, skip)) return;
          expect(r.code, r.stderr).toBe(0);
          const ran = partitionsRun(r);
          for (const s of ctx.stages) expect(ran.get(s.name), s.name).toEqual(range(s.partitions));
        },
      );
    },
  );

  describeIf(runsHere).each(multiStage.map((c) => [c.name, c] as const))(
    'context %s',
    (_ctxName, { ctx }) => {
      const [first, second] = ctx.stages as [RenderStage, RenderStage];

      it('after a failed partition, finishes the stage, then exits non-zero before the next', ({ skip }) => {
        const r = execute(runner, ctx, { rules: [{ stage: first.name, index: 1, code: 1 }] });
        if (engineMissing(r, skip)) return;
        expect(r.code).not.toBe(0);
        expect(r.signal).toBeNull();
        expectWellFormed(r, runner, ctx);
        const ran = partitionsRun(r);
        expect(ran.get(first.name)).toEqual(range(first.partitions));
        expect(ran.has(second.name)).toBe(false);
        expect([...ran.keys()]).toEqual([first.name]);
      });

      it('after a partition stopped by a signal (exit 128+n), exits non-zero before the next stage', ({
        skip,
      }) => {
        const r = execute(runner, ctx, { rules: [{ stage: first.name, index: 0, code: 130 }] });
        if (engineMissing(r, skip)) return;
        expect(r.code).not.toBe(0);
        expect(partitionsRun(r).has(second.name)).toBe(false);
        // No partition of the stage ran twice.
        const ran = partitionsRun(r).get(first.name)!;
        expect(new Set(ran).size).toBe(ran.length);
      });
    },
  );

  describeIf(runsHere).each(requiresContexts.map((c) => [c.name, c] as const))(
    'context %s',
    (_ctxName, { ctx }) => {
      const [first] = ctx.stages as [RenderStage];
      /** The partitions that need partition `index` of the first stage. */
      const dependants = (index: number) =>
        ctx.stages.flatMap((s) =>
          (s.requires ?? [])
            .filter((need) => need.stage === 0)
            .flatMap((need) =>
              need.partitions.flatMap((parts, p) => (parts.includes(index) ? [[s.name, p]] : [])),
            ),
        );

      it('after a failed partition, runs every other partition once and exits non-zero', ({ skip }) => {
        // A failed task blocks only the tasks that need it, which run-partition records as blocked:
        // the partitions that need the failed one still run (and find their tasks blocked).
        const r = execute(runner, ctx, {
          rules: [{ stage: first.name, index: 1, code: 1 }],
          sleepMs: PARTITION_MS,
        });
        if (engineMissing(r, skip)) return;
        expect(r.code).not.toBe(0);
        expect(r.signal).toBeNull();
        expectWellFormed(r, runner, ctx);
        const ran = partitionsRun(r);
        for (const s of ctx.stages) expect(ran.get(s.name), s.name).toEqual(range(s.partitions));
        expect(dependants(1).length).toBeGreaterThan(0);
        if (maxConcurrent(r) === 1) expectPrerequisitesEnded(r, ctx);
      });

      it('after a partition stopped by a signal (exit 128+n), exits non-zero, no partition run twice', ({
        skip,
      }) => {
        const r = execute(runner, ctx, {
          rules: [{ stage: first.name, index: 0, code: 130 }],
          sleepMs: PARTITION_MS,
        });
        if (engineMissing(r, skip)) return;
        expect(r.code).not.toBe(0);
        for (const list of partitionsRun(r).values()) expect(new Set(list).size).toBe(list.length);
        if (maxConcurrent(r) === 1) expectPrerequisitesEnded(r, ctx);
        // Run one at a time, the script stops at the signal: what needs the stopped partition never starts.
        if (maxConcurrent(r) === 1)
          for (const [stage, p] of dependants(0))
            expect(partitionsRun(r).get(stage as string) ?? [], `${stage} ${p}`).not.toContain(p);
      });
    },
  );

  const withJobs = CONTEXTS.filter((c) => c.ctx.options.jobs !== undefined);
  describeIf(runsHere && 'jobs' in runner.flags)('--jobs', () => {
    it.for(withJobs.map((c) => [c.name, c] as const))(
      'runs at most J partitions at once (context %s)',
      ([, { ctx }], { skip }) => {
        const r = execute(runner, ctx, { sleepMs: 300 });
        if (engineMissing(r, skip)) return;
        expect(r.code, r.stderr).toBe(0);
        expect(maxConcurrent(r)).toBeLessThanOrEqual(Number(ctx.options.jobs));
      },
    );
  });
});

// What a scheduler or cluster runs for each stage, executed here with the fake as batchplan: every
// runner that declares an index variable, and any other whose files hold per-stage commands.
const scheduled = RUNNERS.filter(
  (r) =>
    r.capabilities.indexVariables?.[0]?.name !== undefined ||
    unitsOf(r.render(contextFor(r, CONTEXTS[0]!.ctx))).length > 0,
);
describe.each(scheduled.map((r) => [r.name, r] as const))(
  'runner %s: what the scheduler runs',
  (_name, runner) => {
    const indexEnv = runner.capabilities.indexVariables?.[0]?.name;
    const oneBased = runner.capabilities.oneBased;

    itIf(indexEnv !== undefined)(
      `partition-index.ts reads the declared index variable as the runner says it counts`,
      () => {
        for (const p of [0, 1, 6]) {
          const raw = String(p + (oneBased ? 1 : 0));
          expect(resolvePartitionIndex('auto', { [indexEnv!]: raw }), `${indexEnv}=${raw}`).toBe(p);
        }
      },
    );

    describe.each(CONTEXTS.map((c) => [c.name, c] as const))(
      'context %s',
      (_ctxName, { ctx }: NamedContext) => {
        it(
          indexEnv
            ? `each stage's script or command, run with ${indexEnv} set, runs that partition (auto), every value intact`
            : `each stage's commands run their partitions, every value intact`,
          () => {
            const units = unitsOf(runner.render(contextFor(runner, ctx)));
            expect(units.length, 'no per-stage script or command found').toBeGreaterThan(0);
            const covered = new Map<string, number[]>();
            units.forEach((_u, k) => {
              const pick = (us: Unit[]) => us[k]!;
              // The first run tells which stage the unit is; then run each of that stage's partitions.
              const env = (p: number): Record<string, string> =>
                indexEnv ? { [indexEnv]: String(p + (oneBased ? 1 : 0)) } : {};
              const first = runUnit(runner, ctx, pick, env(0));
              expect(first.code, first.stderr).toBe(0);
              expect(first.starts.length, first.stderr).toBe(1);
              const stage = ctx.stages.find((s) => s.name === first.starts[0]!.stage);
              expect(stage, `stage ${first.starts[0]!.stage}`).toBeDefined();
              const partitions = indexEnv ? range(stage!.partitions) : [0];
              for (const p of partitions) {
                const r = p === 0 ? first : runUnit(runner, ctx, pick, env(p));
                expect(r.code, r.stderr).toBe(0);
                expect(readdirSync(r.runDir).filter((f) => PWNED.test(f))).toEqual([]);
                for (const call of r.starts) {
                  const what = JSON.stringify(call.argv);
                  expect(call.errors, what).toEqual([]);
                  expect(call.plan, what).toBe(ctx.planDir);
                  expect(call.stage, what).toBe(stage!.name);
                  expect(call.n, what).toBe(String(ctx.n));
                  const nprocs = contextFor(runner, ctx).options.nprocs;
                  expect(call.options['--nprocs'], what).toBe(
                    nprocs === undefined ? undefined : String(nprocs),
                  );
                  if (indexEnv) {
                    // The raw scheduler index reaches run-partition, which alone converts it.
                    expect(call.positionals[3], what).toBe('auto');
                    expect(call.env[indexEnv], what).toBe(env(p)[indexEnv]);
                    expect(resolvedPartition(call), what).toBe(p);
                  }
                  const index = indexEnv ? resolvedPartition(call) : Number(call.positionals[3]);
                  covered.set(stage!.name, [...(covered.get(stage!.name) ?? []), index]);
                }
              }
            });
            // Every partition of every stage is run by exactly one of them.
            for (const s of ctx.stages)
              expect(
                (covered.get(s.name) ?? []).sort((a, b) => a - b),
                s.name,
              ).toEqual(range(s.partitions));
          },
        );
      },
    );
  },
);

// What one runner promises beyond the common contract.
describe('runner-specific', () => {
  const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;

  it('sequential: one partition at a time, and a signal stops the script at once with 128+n', () => {
    const runner = SEQUENTIAL;
    const ok = execute(runner, sweep, { sleepMs: 50 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(maxConcurrent(ok)).toBe(1);
    expect(ok.starts.map((c) => `${c.stage}/${c.index}`)).toEqual([
      'extract/0',
      'extract/1',
      'extract/2',
      'extract/3',
      'merge/0',
    ]);

    const stopped = execute(runner, sweep, { rules: [{ stage: 'extract', index: 1, code: 130 }] });
    expect(stopped.code).toBe(130);
    expect(stopped.starts.map((c) => `${c.stage}/${c.index}`)).toEqual(['extract/0', 'extract/1']);
  });

  it('gnu-parallel: a stage’s partitions run side by side', ({ skip }) => {
    const r = execute(GNU_PARALLEL, sweep, { sleepMs: 500 });
    if (engineMissing(r, skip)) return;
    expect(r.code, r.stderr).toBe(0);
    expect(maxConcurrent(r)).toBeGreaterThan(1);
  });
});
