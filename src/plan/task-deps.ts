// Task-level dependencies at plan time: resolve each task's `requires` (ids, or the tasks of an
// earlier stage whose variables match) to ranges of task positions, refuse what could never run
// (an unknown id, a task of the same stage, no matching task), and compress the result into the
// segments stored in the plan directory (task-deps-format.ts). Pure; the caller orders stages and
// reports a cycle with `cycleMessage`.
import type { DocPath } from '../spec/source.js';
import type { RequirementSpec, StageSpec } from '../spec/schema.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { DepSegment, RequiredRun } from './task-deps-format.js';
import { compileTaskTemplate, describeTemplateError, type TaskTemplate } from './template.js';
import { topologicalOrder } from './toposort.js';

/** One stage's tasks as compile sees them (spec order unless said otherwise). */
export interface TaskSpace {
  spec: StageSpec;
  /** ['stages', i] */
  at: DocPath;
  count: number;
  /** Run (stored) position -> spec index, when priorities reordered the stage. */
  order?: ArrayLike<number>;
  /** Template stages: the variables of the task with spec index k. */
  vars?: (k: number) => Record<string, unknown>;
  /** Why a stage without `vars` has none, when not because it lists its tasks. */
  noVars?: string;
}

/** Why stage D depends on stage S: one task that requires one of S's, for messages. */
export interface Witness {
  task: string;
  requires: string;
  at: DocPath;
}

export interface TaskDeps {
  /** Per dependant stage (spec index): the stages (spec indices) its tasks require. */
  edges: Map<number, Map<number, Witness>>;
  /** Per dependant stage (spec index): its segments, stage fields as spec indices. */
  segments: Map<number, DepSegment[]>;
}

type Report = (path: DocPath, message: string) => void;
type Ranges = [number, number][];

export function hasRequirements(stages: readonly StageSpec[]): boolean {
  return stages.some((s) => s.requires?.length || s.tasks?.some((t) => t.requires?.length));
}

export function resolveTaskDeps(spaces: readonly TaskSpace[], report: Report): TaskDeps {
  const resolver = new Resolver(spaces);
  const deps: TaskDeps = { edges: new Map(), segments: new Map() };
  spaces.forEach((space, d) => {
    if (!space.spec.requires?.length && !space.spec.tasks?.some((t) => t.requires?.length)) return;
    const out = resolver.stage(d, report);
    if (!out) return;
    deps.edges.set(d, out.edges);
    if (out.segments.length) deps.segments.set(d, out.segments);
  });
  return deps;
}

interface Issues {
  add(path: DocPath, message: string): void;
  throwIfAny(code?: 'E_SPEC_INVALID' | 'E_PLAN_CYCLE'): void;
}

/** What compile.ts keeps per stage; `after` gains the stages whose tasks are required. */
interface StageOut {
  name: string;
  after: string[];
  requires?: string[];
  taskDeps?: DepSegment[];
}

/**
 * Resolve every `requires` of the spec, order the stages by `after` and by them together, and
 * give each dependant stage its `requires` (stages it needs task by task only) and segments, with
 * stage indices into the returned order. `stages` is compile's list (in `after` order); `spaces`
 * is indexed like `specStages`. Throws the SpecError of what is wrong; returns `stages` untouched
 * when no task requires another. `existing` (batchplan add): the plan's stages, in plan order, which
 * the spec's stages come after and may require; indices in the segments are then plan-wide.
 */
export function orderTaskDeps<S extends StageOut>(
  specStages: readonly StageSpec[],
  spaces: readonly TaskSpace[],
  stages: S[],
  issues: Issues,
  existing: readonly TaskSpace[] = [],
): S[] {
  if (!hasRequirements(specStages)) return stages;
  const base = existing.length;
  const nameOf = (j: number) =>
    j < specStages.length ? specStages[j]!.name : existing[j - specStages.length]!.spec.name;
  const deps = resolveTaskDeps([...spaces, ...existing], (path, msg) => issues.add(path, msg));
  issues.throwIfAny();
  const nodes = specStages.map((s, i) => ({
    name: s.name,
    after: [...new Set([...(s.after ?? []), ...[...(deps.edges.get(i)?.keys() ?? [])].map(nameOf)])],
  }));
  // The plan's stages come first anyway: only the spec's own are ordered.
  const own = new Set(specStages.map((s) => s.name));
  const ordered = topologicalOrder(nodes.map((n) => ({ ...n, after: n.after.filter((a) => own.has(a)) })));
  if ('cycle' in ordered) {
    const index = new Map(specStages.map((s, i) => [s.name, i]));
    const witness = (from: string, to: string) => deps.edges.get(index.get(from)!)?.get(index.get(to)!);
    const [a, b] = [ordered.cycle[0]!, ordered.cycle[1 % ordered.cycle.length]!];
    issues.add(witness(a, b)?.at ?? ['stages', index.get(a)!, 'after'], cycleMessage(ordered.cycle, witness));
    issues.throwIfAny('E_PLAN_CYCLE');
  }
  const order = (ordered as { order: number[] }).order;
  const position = new Map(order.map((i, p) => [i, p]));
  const byName = new Map(stages.map((s) => [s.name, s]));
  return order.map((i) => {
    const stage = byName.get(specStages[i]!.name)!;
    const edges = deps.edges.get(i);
    if (!edges) return stage;
    const after = new Set(specStages[i]!.after ?? []);
    const out: S = { ...stage, after: nodes[i]!.after };
    out.requires = [...edges.keys()].map(nameOf).filter((n) => !after.has(n));
    const planIndex = (s: number) =>
      s < specStages.length ? base + position.get(s)! : s - specStages.length;
    out.taskDeps = (deps.segments.get(i) ?? []).map(([from, n, runs]) => [
      from,
      n,
      runs.map(([s, a, w, st]) => [planIndex(s), a, w, st] as RequiredRun),
    ]);
    return out;
  });
}

/** A cycle through stages (each after the next, the last after the first), in words. */
export function cycleMessage(
  cycle: readonly string[],
  witness: (from: string, to: string) => Witness | undefined,
): string {
  const steps = cycle.map((from, k) => {
    const to = cycle[(k + 1) % cycle.length]!;
    const w = witness(from, to);
    return w ? `task ${w.task} requires ${w.requires} (stage ${to})` : `stage ${from} is after stage ${to}`;
  });
  return `tasks would wait for each other forever: ${steps.join(', and ')}; a task may require only tasks of stages that can finish before its own (remove one of these)`;
}

interface Compiled {
  /** Requirement j: an id (template) or a stage with match templates. */
  kind: 'id' | 'match';
  id?: TaskTemplate;
  stage?: number;
  keys?: string[];
  values?: TaskTemplate[];
  at: DocPath;
}

class Resolver {
  private readonly byName = new Map<string, number>();
  private readonly explicit = new Map<string, { stage: number; k: number }>();
  private readonly inverse = new Map<number, Int32Array>();
  private readonly indexes = new Map<string, Map<string, Ranges>>();

  constructor(private readonly spaces: readonly TaskSpace[]) {
    spaces.forEach((s, i) => {
      this.byName.set(s.spec.name, i);
      s.spec.tasks?.forEach((t, k) => {
        if (t.id !== undefined && !this.explicit.has(t.id)) this.explicit.set(t.id, { stage: i, k });
      });
    });
  }

  stage(d: number, report: Report): { edges: Map<number, Witness>; segments: DepSegment[] } | undefined {
    const space = this.spaces[d]!;
    const edges = new Map<number, Witness>();
    const builder = new SegmentBuilder();
    const templated = space.vars !== undefined;
    // The stage's requirements apply to every task (templates in a template stage); a listed task
    // may add its own.
    const stageReqs = this.compileAll(
      d,
      space.spec.requires ?? [],
      [...space.at, 'requires'],
      templated,
      report,
    );
    if (!stageReqs) return undefined;
    const listReqs = new Map<number, Compiled[]>();
    if (!templated)
      for (const [k, t] of (space.spec.tasks ?? []).entries()) {
        if (!t.requires?.length) continue;
        const c = this.compileAll(d, t.requires, [...space.at, 'tasks', k, 'requires'], false, report);
        if (!c) return undefined;
        listReqs.set(k, c);
      }
    for (let p = 0; p < space.count; p++) {
      const k = space.order ? space.order[p]! : p;
      const own = listReqs.get(k);
      const reqs = own ? [...stageReqs, ...own] : stageReqs;
      if (!reqs.length) continue;
      const vars = space.vars?.(k) ?? {};
      const id = this.idOf(d, k);
      const byStage = new Map<number, Ranges>();
      for (const req of reqs) {
        const got = this.resolve(d, k, id, vars, req, report);
        if (!got) return undefined;
        const [s, ranges] = got;
        byStage.set(s, [...(byStage.get(s) ?? []), ...ranges]);
        if (!edges.has(s)) edges.set(s, { task: id, requires: this.idAt(s, ranges[0]![0]), at: req.at });
      }
      const runs: [number, number, number][] = [];
      for (const [s, ranges] of [...byStage].sort((a, b) => a[0] - b[0]))
        for (const [a, b] of merge(ranges)) runs.push([s, a, b]);
      builder.add(p, runs);
    }
    return { edges, segments: builder.done() };
  }

  private compileAll(
    d: number,
    reqs: readonly RequirementSpec[],
    at: DocPath,
    templated: boolean,
    report: Report,
  ): Compiled[] | undefined {
    const out: Compiled[] = [];
    for (const [j, req] of reqs.entries()) {
      const path = [...at, j];
      const tpl = (text: string, where: DocPath): TaskTemplate | undefined => {
        if (!templated || !text.includes('{{')) return () => text;
        try {
          return compileTaskTemplate(text);
        } catch (err) {
          report(where, `not a valid template: ${describeTemplateError(err)}`);
          return undefined;
        }
      };
      if (typeof req === 'string') {
        const id = tpl(req, path);
        if (!id) return undefined;
        out.push({ kind: 'id', id, at: path });
        continue;
      }
      const stage = this.byName.get(req.stage);
      if (stage === undefined) {
        report(
          [...path, 'stage'],
          `unknown stage '${req.stage}'${didYouMean(req.stage, [...this.byName.keys()])} (stages are: ${[...this.byName.keys()].join(', ')})`,
        );
        return undefined;
      }
      const name = this.spaces[d]!.spec.name;
      if (stage === d) {
        report([...path, 'stage'], sameStage(name, `the tasks of stage ${name}`));
        return undefined;
      }
      const target = this.spaces[stage]!;
      if (!target.vars) {
        report(
          [...path, 'match'],
          `stage ${req.stage} ${target.noVars ?? 'lists its tasks (no template)'}, so it has no variables to match: name its tasks by id instead (e.g. ${this.idAt(stage, 0)})`,
        );
        return undefined;
      }
      const keys = Object.keys(req.match).sort();
      const known = new Set(Object.keys(target.vars(0)));
      for (let q = 1; q < Math.min(target.count, 1000); q++)
        Object.keys(target.vars(q)).forEach((v) => known.add(v));
      const missing = keys.find((key) => !known.has(key));
      if (missing !== undefined) {
        report(
          [...path, 'match', missing],
          `stage ${req.stage} has no variable '${missing}'${didYouMean(missing, [...known])} (its variables: ${[...known].join(', ')})`,
        );
        return undefined;
      }
      const values: TaskTemplate[] = [];
      for (const key of keys) {
        const v = req.match[key]!;
        const t = typeof v === 'string' ? tpl(v, [...path, 'match', key]) : () => String(v);
        if (!t) return undefined;
        values.push(t);
      }
      out.push({ kind: 'match', stage, keys, values, at: path });
    }
    return out;
  }

  /** The required tasks of one requirement of task k of stage d, as (stage, stored ranges). */
  private resolve(
    d: number,
    k: number,
    id: string,
    vars: Record<string, unknown>,
    req: Compiled,
    report: Report,
  ): [number, Ranges] | undefined {
    const render = (t: TaskTemplate, where: DocPath) => {
      try {
        return t(vars, k);
      } catch (err) {
        report(where, `task ${id}: ${describeTemplateError(err, Object.keys(vars))}`);
        return undefined;
      }
    };
    if (req.kind === 'id') {
      const want = render(req.id!, req.at);
      if (want === undefined) return undefined;
      const found = this.findId(want);
      if (!found) {
        report(req.at, `task ${id} requires '${want}', which is no task of the plan${this.nearestId(want)}`);
        return undefined;
      }
      if (found.stage === d) {
        report(req.at, sameStage(this.spaces[d]!.spec.name, want, id));
        return undefined;
      }
      const pos = this.stored(found.stage, found.k);
      return [found.stage, [[pos, pos + 1]]];
    }
    const wanted: string[] = [];
    for (const [j, t] of req.values!.entries()) {
      const v = render(t, [...req.at, 'match', req.keys![j]!]);
      if (v === undefined) return undefined;
      wanted.push(v);
    }
    const ranges = this.index(req.stage!, req.keys!).get(wanted.join('\0'));
    if (!ranges) {
      const target = this.spaces[req.stage!]!.spec.name;
      const what = req.keys!.map((key, j) => `${key}=${wanted[j]}`).join(', ');
      report(req.at, `task ${id} requires the tasks of stage ${target} with ${what}, and there is none`);
      return undefined;
    }
    return [req.stage!, ranges];
  }

  /** Stored positions of stage s grouped by the values of `keys` (built once per stage and keys). */
  private index(s: number, keys: string[]): Map<string, Ranges> {
    const name = `${s}\0${keys.join('\0')}`;
    let idx = this.indexes.get(name);
    if (idx) return idx;
    idx = new Map();
    const space = this.spaces[s]!;
    for (let p = 0; p < space.count; p++) {
      const vars = space.vars!(space.order ? space.order[p]! : p);
      if (keys.some((key) => vars[key] === undefined || vars[key] === null)) continue;
      const key = keys.map((key) => String(vars[key])).join('\0');
      const list = idx.get(key);
      const last = list?.at(-1);
      if (last && last[1] === p) last[1]++;
      else if (list) list.push([p, p + 1]);
      else idx.set(key, [[p, p + 1]]);
    }
    this.indexes.set(name, idx);
    return idx;
  }

  private findId(id: string): { stage: number; k: number } | undefined {
    const hit = this.explicit.get(id);
    if (hit) return hit;
    const dot = id.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const stage = this.byName.get(id.slice(0, dot));
    const suffix = id.slice(dot + 1);
    if (stage === undefined || !/^(0|[1-9]\d*)$/.test(suffix)) return undefined;
    const k = Number(suffix);
    if (k >= this.spaces[stage]!.count || this.spaces[stage]!.spec.tasks?.[k]?.id !== undefined)
      return undefined;
    return { stage, k };
  }

  private nearestId(id: string): string {
    const dot = id.lastIndexOf('.');
    const stage = dot > 0 ? this.byName.get(id.slice(0, dot)) : undefined;
    if (stage !== undefined) {
      const n = this.spaces[stage]!.count;
      return ` (stage ${id.slice(0, dot)} has ${n} task${n === 1 ? '' : 's'}: ${this.idOf(stage, 0)}${n > 1 ? ` … ${this.idOf(stage, n - 1)}` : ''})`;
    }
    const names = [...this.explicit.keys(), ...this.byName.keys()];
    return didYouMean(id, names);
  }

  private idOf(s: number, k: number): string {
    return this.spaces[s]!.spec.tasks?.[k]?.id ?? `${this.spaces[s]!.spec.name}.${k}`;
  }

  private idAt(s: number, p: number): string {
    const space = this.spaces[s]!;
    return this.idOf(s, space.order ? space.order[p]! : p);
  }

  /** Spec index k of stage s -> its stored position. */
  private stored(s: number, k: number): number {
    const space = this.spaces[s]!;
    if (!space.order) return k;
    let inv = this.inverse.get(s);
    if (!inv) {
      inv = new Int32Array(space.count);
      for (let p = 0; p < space.count; p++) inv[space.order[p]!] = p;
      this.inverse.set(s, inv);
    }
    return inv[k]!;
  }
}

function sameStage(stage: string, what: string, task?: string): string {
  return `${task ? `task ${task} requires ${what}` : `requires ${what}`}, of its own stage ${stage}: a stage's partitions run at once, so it could wait forever. Put the tasks it requires in an earlier stage`;
}

function merge(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Packs consecutive tasks whose required ranges shift by constant strides into one segment. */
class SegmentBuilder {
  private readonly out: DepSegment[] = [];
  private cur: { from: number; n: number; first: [number, number, number][]; strides?: number[] } | undefined;

  add(p: number, runs: [number, number, number][]): void {
    const c = this.cur;
    if (c && c.from + c.n === p && this.fits(c, runs)) {
      c.strides ??= runs.map((r, j) => r[1] - c.first[j]![1]);
      c.n++;
      return;
    }
    this.flush();
    this.cur = { from: p, n: 1, first: runs };
  }

  private fits(c: NonNullable<SegmentBuilder['cur']>, runs: [number, number, number][]): boolean {
    if (runs.length !== c.first.length) return false;
    return runs.every(([s, a, b], j) => {
      const [s0, a0, b0] = c.first[j]!;
      if (s !== s0 || b - a !== b0 - a0) return false;
      return c.strides === undefined || a === a0 + c.n * c.strides[j]!;
    });
  }

  private flush(): void {
    const c = this.cur;
    if (!c) return;
    const runs: RequiredRun[] = c.first.map(([s, a, b], j) => [s, a, b - a, c.strides?.[j] ?? 0]);
    this.out.push([c.from, c.n, runs]);
    this.cur = undefined;
  }

  done(): DepSegment[] {
    this.flush();
    return this.out;
  }
}
