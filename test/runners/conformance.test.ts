// One suite over every runner in the registry and every fixed context: what any runner's output
// must do, whatever engine runs it. The entry scripts of runners that run the plan where they are
// executed (capabilities.canSubmit false: no scheduler in between) are executed for real, with the
// batchplan command replaced by fake-batchplan.mjs, which records each run-partition call. Runners
// that hand the plan to a scheduler are executed by their own tests, against a real scheduler.
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
import { getRunner, RUNNERS } from '../../src/runners/registry.js';
import type { RenderContext, RenderedFile, RenderStage, Runner } from '../../src/runners/runner.js';
import { shellQuote } from '../../src/util/shell-quote.js';
import { scratch } from '../helpers.js';
import { CONTEXTS, contextFor, PWNED, type NamedContext } from './contexts.js';

const root = scratch('batchplan-conformance-');

// The fake lives in a directory whose name needs quoting too: the batchplan command is shell code.
const fakeDir = join(root, "fake bin's $dir");
mkdirSync(fakeDir);
const FAKE = join(fakeDir, 'batchplan.mjs');
copyFileSync(join(import.meta.dirname, 'fake-batchplan.mjs'), FAKE);
const FAKE_COMMAND = `${shellQuote(process.execPath)} ${shellQuote(FAKE)}`;

interface Call {
  event: 'start' | 'end';
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
    FAKE_INDEX_ENV: runner.capabilities.partitionIndexEnv ?? '',
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

/** Contexts whose first stage has several partitions and a stage after it. */
const multiStage = CONTEXTS.filter((c) => c.ctx.stages.length > 1 && c.ctx.stages[0]!.partitions > 1);

describe.each(RUNNERS.map((r) => [r.name, r] as const))('runner %s', (_name, runner) => {
  /** Whether running the entry file runs the partitions here (no scheduler to submit to). */
  const runsHere = !runner.capabilities.canSubmit;
  describe.each(CONTEXTS.map((c) => [c.name, c] as const))(
    'context %s',
    (_ctxName, { ctx }: NamedContext) => {
      const render = () => runner.render(contextFor(runner, structuredClone(ctx)));

      it('renders an executable entry file that starts with #!/usr/bin/env bash', () => {
        const [entry] = render();
        expect(entry).toBeDefined();
        expect(entry!.content.startsWith('#!/usr/bin/env bash\n')).toBe(true);
        expect(entry!.executable).toBe(true);
      });

      it('renders files with distinct relative paths inside the output directory', () => {
        const paths = render().map((f) => f.path);
        expect(new Set(paths).size).toBe(paths.length);
        for (const p of paths) {
          expect(isAbsolute(p), p).toBe(false);
          expect(normalize(p).startsWith('..'), p).toBe(false);
        }
      });

      it('renders files that pass bash -n', () => {
        const dir = join(root, `syntax-${++runs}`);
        const files = render();
        writeFiles(dir, files);
        for (const f of files) {
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
          const r = execute(runner, ctx);
          if (engineMissing(r, skip)) return;
          expect(r.code, r.stderr).toBe(0);
          expectWellFormed(r, runner, ctx);
          const ran = partitionsRun(r);
          expect([...ran.keys()]).toEqual(ctx.stages.map((s) => s.name));
          for (const s of ctx.stages) expect(ran.get(s.name), s.name).toEqual(range(s.partitions));
          expectStageOrder(r, ctx);
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

  const withJobs = CONTEXTS.filter((c) => c.ctx.options.jobs !== undefined);
  describeIf(runsHere && runner.options.includes('jobs'))('--jobs', () => {
    it.for(withJobs.map((c) => [c.name, c] as const))(
      'runs at most J partitions at once (context %s)',
      ([, { ctx }], { skip }) => {
        const r = execute(runner, ctx, { sleepMs: 300 });
        if (engineMissing(r, skip)) return;
        expect(r.code, r.stderr).toBe(0);
        expect(maxConcurrent(r)).toBeLessThanOrEqual(ctx.options.jobs!);
      },
    );
  });
});

// What one runner promises beyond the common contract.
describe('runner-specific', () => {
  const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;

  it('sequential: one partition at a time, and a signal stops the script at once with 128+n', () => {
    const runner = getRunner('sequential');
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
    const r = execute(getRunner('gnu-parallel'), sweep, { sleepMs: 500 });
    if (engineMissing(r, skip)) return;
    expect(r.code, r.stderr).toBe(0);
    expect(maxConcurrent(r)).toBeGreaterThan(1);
  });
});
