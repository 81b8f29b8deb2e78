// Compile a validated spec into stages in dependency order and a lazy stream of task records.
// Pure: no I/O. A 1000 × 1000 matrix stays a few lines of spec until the writer pulls its tasks.
import { didYouMean } from '../util/did-you-mean.js';
import { resolve } from 'node:path';
import { SpecError, type SpecLocation } from '../errors.js';
import { parseDuration } from '../spec/duration.js';
import type { CommandsFile } from '../spec/commands-file.js';
import { paramRows } from '../spec/params-file.js';
import type { LoadedSpec } from '../spec/load.js';
import type { Defaults, Matrix, StageSpec, TaskSpec } from '../spec/schema.js';
import type { DocPath } from '../spec/source.js';
import { DEFAULT_BACKUP_FACTOR } from './model.js';
import {
  BUILTIN_SETTINGS,
  type PlanDefaults,
  type Resources,
  type StageSettings,
  type TaskRecord,
} from './model.js';
import { outputPath } from '../runners/saturn-output.js';
import { compileResources } from './resources.js';
import { gpusPerSlotProblem, parseGpusPerSlot } from './gpu-share.js';
import { compileTaskTemplate, describeTemplateError } from './template.js';
import { topologicalOrder } from './toposort.js';
import type { DepSegment } from './task-deps-format.js';
import { orderTaskDeps, type TaskSpace } from './task-deps.js';
import { priorityOrder, urgentCount } from './task-priority.js';
import { matrixVars, type Axis, type StageVariables } from './task-vars.js';

export interface CompiledStage {
  name: string;
  after: string[];
  settings: StageSettings;
  resources: Resources;
  count: number;
  /** Task records in run order (priority applied). Iterating twice yields the same records. */
  records: () => Iterable<TaskRecord>;
  /** Stages whose tasks this stage's tasks require one by one (task-deps.ts), not in `after` by the user. */
  requires?: string[];
  /** Those requirements, stage fields as indices into CompiledPlan.stages. */
  taskDeps?: DepSegment[];
  /** The first tasks that have the stage's highest priority, above its lowest (task-priority.ts). */
  urgent?: number;
  /** The stage's own partition count (spec `partitions` or `tasks_per_partition`); unset: N. */
  partitions?: number;
  /** A template stage's matrix or params, kept for `add`'s requires (task-vars.ts). */
  variables?: StageVariables;
}

export interface CompileOptions {
  /** Refuse a plan of more tasks than this (counted before anything is built). */
  maxTasks?: number;
  /**
   * `batchplan add`: the plan's stages, which `after` may name, and its settings, which the spec's
   * `defaults` override (instead of the built-in ones).
   */
  existing?: {
    stages: readonly string[];
    settings: StageSettings;
    /** What new stages' `requires` may name: the plan's stages' tasks, in plan order. */
    spaces?: readonly TaskSpace[];
  };
}

/** 10 million tasks: a plan directory of about a gigabyte. `plan --max-tasks` raises it. */
export const DEFAULT_MAX_TASKS = 10_000_000;

/**
 * The kernel refuses an argument (or an environment string) of MAX_ARG_STRLEN = 128 KiB or more
 * at exec: such a command would fail at run time, so it is refused at plan time.
 */
export const MAX_ARG_BYTES = 128 * 1024 - 1;

export interface CompiledPlan {
  defaults: PlanDefaults;
  stages: CompiledStage[];
  totalTasks: number;
}

type Issue = { location: SpecLocation; message: string };

class IssueList {
  readonly items: Issue[] = [];
  constructor(private readonly loaded: LoadedSpec) {}
  add(path: DocPath, message: string): void {
    this.items.push({ location: this.loaded.source.locate(path), message });
  }
  throwIfAny(code: 'E_SPEC_INVALID' | 'E_PLAN_CYCLE' = 'E_SPEC_INVALID'): void {
    if (this.items.length) throw new SpecError(code, this.items);
  }
}

export function compile(loaded: LoadedSpec, opts: CompileOptions = {}): CompiledPlan {
  const { spec } = loaded;
  const issues = new IssueList(loaded);
  const maxTasks = opts.maxTasks ?? DEFAULT_MAX_TASKS;
  const defaults: PlanDefaults = {
    ...mergeSettings(
      opts.existing?.settings ?? BUILTIN_SETTINGS,
      spec.defaults ?? {},
      ['defaults'],
      issues,
      loaded.baseDir,
    ),
    resources: compileResources(spec.defaults?.resources, ['defaults', 'resources'], (path, msg) =>
      issues.add(path, msg),
    ),
  };

  // Stages inherit settings from defaults; resources are layered later, by the runner (with flags between).
  const { resources: _defaultResources, ...defaultSettings } = defaults;
  const index = new Map<string, number>();
  spec.stages.forEach((s, i) => {
    if (opts.existing?.stages.includes(s.name))
      issues.add(
        ['stages', i, 'name'],
        `stage '${s.name}' is already in the plan: add appends new stages only (name it differently; to run its tasks again use retry or rerun --force)`,
      );
    else if (index.has(s.name))
      issues.add(
        ['stages', i, 'name'],
        `duplicate stage name '${s.name}' (also stages[${index.get(s.name)}])`,
      );
    else index.set(s.name, i);
  });
  const existing = new Set(opts.existing?.stages);
  spec.stages.forEach((s, i) =>
    (s.after ?? []).forEach((dep, j) => {
      if (!index.has(dep) && !existing.has(dep))
        issues.add(
          ['stages', i, 'after', j],
          `unknown stage '${dep}'${didYouMean(dep, [...existing, ...index.keys()])} (stages are: ${[...existing, ...index.keys()].join(', ')})`,
        );
    }),
  );
  issues.throwIfAny();

  // The plan's existing stages come first anyway: only the spec's own stages are ordered.
  const order = topologicalOrder(
    spec.stages.map((s) => ({ name: s.name, after: (s.after ?? []).filter((d) => index.has(d)) })),
  );
  if ('cycle' in order) {
    const i = index.get(order.cycle[0]!)!;
    issues.add(
      ['stages', i, 'after'],
      `stages depend on each other in a cycle: ${[...order.cycle, order.cycle[0]].join(' -> ')}`,
    );
    issues.throwIfAny('E_PLAN_CYCLE');
  }

  const explicitIds = new Map<string, DocPath>();
  let stages: CompiledStage[] = [];
  const spaces: TaskSpace[] = [];
  for (const i of (order as { order: number[] }).order) {
    const stage = spec.stages[i]!;
    const at: DocPath = ['stages', i];
    const settings = mergeSettings(defaultSettings, stage, at, issues, loaded.baseDir);
    checkSkipFailures(stage, settings, at, issues);
    const tasks =
      loaded.commands?.stage === stage.name
        ? commandsTasks(loaded.commands, at, issues)
        : stageTasks(stage, at, issues, loaded.baseDir, explicitIds, maxTasks);
    const resources = compileResources(stage.resources, [...at, 'resources'], (path, msg) =>
      issues.add(path, msg),
    );
    const partitions = stagePartitionCount(stage, tasks?.count, at, issues);
    if (tasks) {
      const { space, ...rest } = tasks;
      spaces[i] = { spec: stage, at, count: rest.count, ...space };
      stages.push({
        name: stage.name,
        after: [...new Set(stage.after ?? [])],
        settings,
        resources,
        ...rest,
        ...(partitions ? { partitions } : {}),
      });
    }
  }
  // Task-level `requires` (task-deps.ts): resolved, checked, and the stages re-ordered by them.
  // (A commands file is one stage with nothing to require; its task list is never built.)
  issues.throwIfAny();
  if (!loaded.commands) stages = orderTaskDeps(spec.stages, spaces, stages, issues, opts.existing?.spaces);
  // An explicit id must not collide with another explicit id or with an automatic `<stage>.<k>`.
  for (const [id, path] of explicitIds) {
    const dot = id.lastIndexOf('.');
    const owner = dot > 0 ? stages.find((s) => s.name === id.slice(0, dot)) : undefined;
    // Automatic ids are `<stage>.<k>` with k in canonical decimal: `a.01` or `a. 1` is not one.
    const suffix = id.slice(dot + 1);
    const k = /^(0|[1-9]\d*)$/.test(suffix) ? Number(suffix) : -1;
    if (owner && k >= 0 && k < owner.count && !isExplicitAt(spec.stages, owner.name, k))
      issues.add(
        path,
        `task id '${id}' collides with the automatic id of task ${k} of stage '${owner.name}'`,
      );
  }
  const totalTasks = stages.reduce((n, s) => n + s.count, 0);
  if (totalTasks > maxTasks) issues.add([], tooMany(`the plan has ${count(totalTasks)} tasks`, maxTasks));
  issues.throwIfAny();
  for (const stage of stages) checkEnv(stage.name, stage.settings.env, issues, ['stages']);
  issues.throwIfAny();
  return { defaults, stages, totalTasks };
}

/**
 * skip_failures with balance: true is refused, as run-partition refuses --skip-failures for a
 * balanced partition (it runs other partitions' tasks, which its own view cannot leave alone).
 * The issue points at the stage's own key of the two, else at defaults' skip_failures.
 */
function checkSkipFailures(stage: StageSpec, settings: StageSettings, at: DocPath, issues: IssueList): void {
  if (!settings.skipFailures || !settings.balance) return;
  const path: DocPath =
    stage.skip_failures !== undefined
      ? [...at, 'skip_failures']
      : stage.balance !== undefined
        ? [...at, 'balance']
        : ['defaults', 'skip_failures'];
  issues.add(
    path,
    `stage '${stage.name}': skip_failures does not apply to a balanced stage (balance: true): its partitions run each other's tasks`,
  );
}

/**
 * The stage's own partition count from `partitions` or `tasks_per_partition` (at most one per task),
 * undefined when it sets neither; a bad value is an issue naming the stage.
 */
function stagePartitionCount(
  stage: StageSpec,
  count: number | undefined,
  at: DocPath,
  issues: IssueList,
): number | undefined {
  const given = (['partitions', 'tasks_per_partition'] as const).filter((k) => stage[k] !== undefined);
  if (given.length === 2) {
    issues.add(
      [...at, 'tasks_per_partition'],
      `stage '${stage.name}': give \`partitions\` or \`tasks_per_partition\`, not both`,
    );
    return undefined;
  }
  const key = given[0];
  if (key === undefined) return undefined;
  const value = stage[key]!;
  if (!Number.isInteger(value) || value < 1) {
    const what = key === 'partitions' ? 'partitions' : 'tasks per partition';
    issues.add(
      [...at, key],
      `stage '${stage.name}': \`${key}\` must be a whole number of ${what}, at least 1 (got ${value}); leave it out to use the N given to generate-script, submit or run-hosts`,
    );
    return undefined;
  }
  if (!count) return undefined;
  return Math.min(count, key === 'partitions' ? value : Math.ceil(count / value));
}

function isExplicitAt(stages: StageSpec[], name: string, k: number): boolean {
  return stages.find((s) => s.name === name)?.tasks?.[k]?.id !== undefined;
}

type Overrides = Pick<
  Defaults,
  | 'retries'
  | 'timeout'
  | 'backoff'
  | 'env'
  | 'cwd'
  | 'nprocs'
  | 'gpus_per_slot'
  | 'shell'
  | 'max_fails'
  | 'skip_failures'
  | 'balance'
  | 'backup'
>;

function mergeSettings(
  base: StageSettings,
  over: Overrides,
  at: DocPath,
  issues: IssueList,
  baseDir: string,
): StageSettings {
  const out: StageSettings = { ...base, env: { ...base.env, ...stringEnv(over.env) } };
  if (over.nprocs !== undefined) out.nprocs = over.nprocs;
  if (over.gpus_per_slot !== undefined) {
    const share = parseGpusPerSlot(over.gpus_per_slot);
    if (share) out.gpusPerSlot = share;
    else issues.add([...at, 'gpus_per_slot'], gpusPerSlotProblem(over.gpus_per_slot));
  }
  if (over.retries !== undefined) out.retries = over.retries;
  if (over.max_fails !== undefined) out.maxFails = over.max_fails;
  if (over.skip_failures === true) out.skipFailures = true;
  else if (over.skip_failures === false) delete out.skipFailures;
  if (over.balance !== undefined) out.balance = over.balance;
  if (over.backup === true) out.backup = DEFAULT_BACKUP_FACTOR;
  else if (over.backup === false) delete out.backup;
  else if (over.backup !== undefined) out.backup = over.backup;
  if (over.shell !== undefined) out.shell = over.shell;
  if (over.cwd !== undefined) out.cwd = resolve(baseDir, over.cwd);
  const timeout = duration(over.timeout, [...at, 'timeout'], issues);
  if (timeout !== undefined) out.timeout = timeout;
  const backoff = duration(over.backoff, [...at, 'backoff'], issues);
  if (backoff !== undefined) out.backoff = backoff;
  return out;
}

function duration(value: string | number | undefined, at: DocPath, issues: IssueList): number | undefined {
  if (value === undefined) return undefined;
  const secs = parseDuration(value);
  if (secs === undefined)
    issues.add(at, `'${value}' is not a duration (use e.g. 30s, 10m, 1h30m or 2:00:00; at most 100 years)`);
  return secs;
}

function stringEnv(env: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = String(v);
  return out;
}

function count(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function tooMany(what: string, max: number): string {
  return `${what}, over the limit of ${count(max)} (raise it with \`plan --max-tasks\` if that is meant)`;
}

/** A command the kernel cannot exec: a NUL byte (it would be cut there) or over MAX_ARG_BYTES. */
export function commandProblem(cmd: string): string | undefined {
  const nul = cmd.indexOf('\0');
  if (nul >= 0) return `its command has a NUL byte at character ${nul}: a command cannot hold one`;
  if (cmd.length * 3 > MAX_ARG_BYTES) {
    const bytes = Buffer.byteLength(cmd);
    if (bytes > MAX_ARG_BYTES)
      return `its command is ${count(bytes)} bytes, over the kernel's limit of ${count(MAX_ARG_BYTES)} bytes for one argument: put the long part in a file the command reads (or a script it runs)`;
  }
  return undefined;
}

function checkEnv(
  where: string,
  env: Record<string, string> | undefined,
  issues: IssueList,
  at: DocPath,
): void {
  for (const [k, v] of Object.entries(env ?? {})) {
    const problem = `${k}${v}`.includes('\0')
      ? 'holds a NUL byte'
      : (k.length + v.length + 1) * 3 > MAX_ARG_BYTES && Buffer.byteLength(`${k}=${v}`) > MAX_ARG_BYTES
        ? `is over the kernel's limit of ${count(MAX_ARG_BYTES)} bytes for one environment string`
        : undefined;
    if (problem) issues.add(at, `${where}: environment variable ${k} ${problem}`);
  }
}

/** The record's command and environment must reach exec whole: else a SpecError naming the task. */
function checkRecord(rec: TaskRecord, issues: IssueList, at: DocPath): boolean {
  const problem = commandProblem(rec.cmd);
  if (problem) issues.add(at, `task ${rec.id}: ${problem}`);
  checkEnv(`task ${rec.id}`, rec.env, issues, at);
  return issues.items.length === 0;
}

function stageTasks(
  stage: StageSpec,
  at: DocPath,
  issues: IssueList,
  baseDir: string,
  explicitIds: Map<string, DocPath>,
  maxTasks: number,
): StageTasks | undefined {
  const kinds = [stage.tasks && 'tasks', stage.template && 'template'].filter(Boolean);
  if (kinds.length !== 1) {
    issues.add(
      at,
      kinds.length
        ? 'give either `tasks` or `template`, not both'
        : 'a stage needs `tasks` or a `template` with `params` or `matrix`',
    );
    return undefined;
  }
  if (stage.tasks) {
    for (const key of ['params', 'matrix', 'output'] as const)
      if (stage[key] !== undefined)
        issues.add([...at, key], `\`${key}\` only applies to a stage with a \`template\``);
    if (stage.priority !== undefined)
      issues.add(
        [...at, 'priority'],
        'a stage-level `priority` applies to a `template` stage; give each listed task its own',
      );
    if (stage.tasks.length === 0) issues.add([...at, 'tasks'], 'a stage needs at least one task');
    return listTasks(stage.name, stage.tasks, [...at, 'tasks'], issues, baseDir, explicitIds);
  }
  return templateTasks(stage, at, issues, baseDir, maxTasks);
}

/** A commands file's tasks, read from the file as the writer pulls them: the first bad one stops it. */
function commandsTasks(file: CommandsFile, at: DocPath, issues: IssueList): StageTasks {
  if (file.count === 0) issues.add([...at, 'tasks'], 'a stage needs at least one task');
  return {
    count: file.count,
    space: {},
    *records() {
      let k = 0;
      for (const cmd of file.commands()) {
        const rec: TaskRecord = { id: `${file.stage}.${k}`, cmd };
        if (!checkRecord(rec, issues, [...at, 'tasks', k++, 'cmd'])) issues.throwIfAny();
        yield rec;
      }
    },
  };
}

function listTasks(
  stageName: string,
  tasks: TaskSpec[],
  at: DocPath,
  issues: IssueList,
  baseDir: string,
  explicitIds: Map<string, DocPath>,
): StageTasks {
  const records = tasks.map((t, k) => {
    const path: DocPath = [...at, k];
    const rec: TaskRecord = { id: t.id ?? `${stageName}.${k}`, cmd: t.cmd };
    if (t.id !== undefined) {
      if (explicitIds.has(t.id)) issues.add([...path, 'id'], `duplicate task id '${t.id}'`);
      else explicitIds.set(t.id, [...path, 'id']);
    }
    if (t.env) rec.env = stringEnv(t.env);
    if (t.cwd) rec.cwd = resolve(baseDir, t.cwd);
    if (t.retries !== undefined) rec.retries = t.retries;
    const timeout = duration(t.timeout, [...path, 'timeout'], issues);
    if (timeout !== undefined) rec.timeout = timeout;
    const backoff = duration(t.backoff, [...path, 'backoff'], issues);
    if (backoff !== undefined) rec.backoff = backoff;
    if (t.output) rec.output = outputPath(baseDir, t.output);
    checkRecord(rec, issues, [...path, 'cmd']);
    return { rec, priority: t.priority ?? 0 };
  });
  // Stable sort: higher priority first, spec order among equals (qdo's priorities).
  const sorted = records.map((r, k) => ({ ...r, k })).sort((a, b) => b.priority - a.priority || a.k - b.k);
  const out = sorted.map((r) => r.rec);
  const urgent = urgentCount(sorted.map((r) => r.priority));
  return {
    count: out.length,
    records: () => out,
    space: { order: sorted.map((r) => r.k) },
    ...(urgent ? { urgent } : {}),
  };
}

/** A stage's tasks, and what task-deps.ts needs to resolve requirements over them. */
type StageTasks = Pick<CompiledStage, 'count' | 'records' | 'urgent' | 'variables'> & {
  space: Pick<TaskSpace, 'order' | 'vars'>;
};

function templateTasks(
  stage: StageSpec,
  at: DocPath,
  issues: IssueList,
  baseDir: string,
  maxTasks: number,
): StageTasks | undefined {
  if ((stage.params === undefined) === (stage.matrix === undefined)) {
    issues.add(at, 'a `template` stage needs exactly one of `params` (a list of objects) or `matrix`');
    return undefined;
  }
  let cmdOf: ReturnType<typeof compileTaskTemplate>;
  let outOf: ReturnType<typeof compileTaskTemplate> | undefined;
  let key: 'template' | 'output' = 'template';
  try {
    cmdOf = compileTaskTemplate(stage.template!);
    key = 'output';
    outOf = stage.output === undefined ? undefined : compileTaskTemplate(stage.output);
  } catch (err) {
    issues.add([...at, key], `not a valid template: ${describeTemplateError(err)}`);
    return undefined;
  }
  const name = stage.name;
  const make = (vars: Record<string, unknown>, k: number): TaskRecord => {
    const rec: TaskRecord = { id: `${name}.${k}`, cmd: cmdOf(vars, k) };
    if (outOf) rec.output = outputPath(baseDir, outOf(vars, k));
    return rec;
  };

  const params = paramRows(stage.params);
  if (params) {
    if (params.length === 0)
      issues.add([...at, 'params'], 'a stage needs at least one task: `params` is empty');
    const prio = priorityOrder(
      stage,
      at,
      params.length,
      (k) => params[k]!,
      (path, msg) => issues.add(path, msg),
    );
    if (prio === false) return undefined;
    const order = prio?.order;
    const records: TaskRecord[] = [];
    for (let p = 0; p < params.length; p++) {
      const k = order ? order[p]! : p;
      const vars = params[k]!;
      try {
        const rec = make(vars, k);
        if (!checkRecord(rec, issues, [...at, 'params', k])) break;
        records.push(rec);
      } catch (err) {
        issues.add(
          [...at, 'params', k],
          `the template uses a variable this entry does not define: ${describeTemplateError(err, Object.keys(vars))}`,
        );
        break; // One is enough to say what is wrong; a million would drown it.
      }
    }
    return {
      count: records.length,
      records: () => records,
      space: { vars: (k) => params[k]!, ...(order ? { order } : {}) },
      variables: { params },
      ...(prio?.urgent ? { urgent: prio.urgent } : {}),
    };
  }

  const axes = matrixAxes(stage.matrix!, [...at, 'matrix'], issues, maxTasks);
  if (!axes) return undefined;
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > maxTasks) {
    issues.add(
      [...at, 'matrix'],
      tooMany(
        `the matrix makes ${count(total)} tasks (${axes.map((a) => a.values.length).join(' × ')})`,
        maxTasks,
      ),
    );
    return undefined;
  }
  try {
    make(matrixVars(axes, 0), 0); // Surface an undefined variable now, at plan time.
  } catch (err) {
    issues.add(
      [...at, 'template'],
      `the template uses a variable the matrix does not define: ${describeTemplateError(
        err,
        axes.map((a) => a.key),
      )}`,
    );
    return undefined;
  }
  const prio = priorityOrder(
    stage,
    at,
    total,
    (k) => matrixVars(axes, k),
    (path, msg) => issues.add(path, msg),
  );
  if (prio === false) return undefined;
  const order = prio?.order;
  // Checked as the writer pulls them (a matrix is never held whole): the first bad one stops it.
  const at0 = [...at, 'template'];
  return {
    count: total,
    space: { vars: (k) => matrixVars(axes, k), ...(order ? { order } : {}) },
    variables: { matrix: axes },
    ...(prio?.urgent ? { urgent: prio.urgent } : {}),
    *records() {
      for (let p = 0; p < total; p++) {
        const k = order ? order[p]! : p;
        const rec = make(matrixVars(axes, k), k);
        if (!checkRecord(rec, issues, at0)) issues.throwIfAny();
        yield rec;
      }
    },
  };
}

function matrixAxes(matrix: Matrix, at: DocPath, issues: IssueList, maxTasks: number): Axis[] | undefined {
  const axes: Axis[] = [];
  for (const [key, spec] of Object.entries(matrix)) {
    if (Array.isArray(spec)) {
      axes.push({ key, values: spec });
      continue;
    }
    const [start, end, step = 1] = spec.range;
    if (end <= start) {
      issues.add(
        [...at, key, 'range'],
        `empty range [${start}, ${end}): the end is excluded and must be above the start`,
      );
      return undefined;
    }
    const length = Math.ceil((end - start) / step);
    if (length > maxTasks) {
      issues.add(
        [...at, key, 'range'],
        tooMany(`range [${start}, ${end}) has ${count(length)} values`, maxTasks),
      );
      return undefined;
    }
    const values: number[] = [];
    for (let v = start; v < end; v += step) values.push(v);
    axes.push({ key, values });
  }
  if (axes.length === 0) {
    issues.add(at, 'the matrix has no keys');
    return undefined;
  }
  return axes;
}
