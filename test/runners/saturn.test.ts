// Saturn Cloud: rendering only (nothing here can reach Saturn). Every recipe must pass the recipe
// schema (src/runners/saturn-recipe.ts); a --recipe template keeps its other fields; the plan is
// synced or found on --shared-path; apply.sh starts the stages in order (against a stand-in `sc`).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RenderContext, RunnerOptions } from '../../src/runners/runner.js';
import { saturnJobRecipeSchema } from '../../src/runners/saturn-recipe.js';
import { loadRunner } from '../../src/runners/registry.js';
import { ROOT, scratch } from '../helpers.js';
import { CONTEXTS, contextFor } from './contexts.js';

const saturn = await loadRunner('saturn');

const sweep = CONTEXTS.find((c) => c.name === 'two-stage-sweep')!.ctx;
const withOptions = (options: RunnerOptions): RenderContext => contextFor(saturn, { ...sweep, options });
const recipes = (ctx: RenderContext) =>
  saturn
    .render(ctx)
    .filter((f) => f.path.endsWith('.recipe.yaml'))
    .map((f) => saturnJobRecipeSchema.parse(parse(f.content)));
const dir = scratch('batchplan-saturn-');

describe('saturn recipes', () => {
  it.each(CONTEXTS.map((c) => [c.name, c.ctx] as const))(
    'pass the recipe schema, one job per stage, one command per partition (context %s)',
    (_name, ctx) => {
      const rs = recipes(contextFor(saturn, ctx));
      expect(rs).toHaveLength(ctx.stages.length);
      rs.forEach((r, k) => {
        expect(r.schema_version).toBe('2024.04.01');
        expect(r.spec.command).toHaveLength(ctx.stages[k]!.partitions);
        // The shipped package (apply.sh syncs it there), not a registry install.
        expect(r.spec.command[0]).toMatch(
          /^node \/home\/jovyan\/workspace\/\.batchplan\/bin\/batchplan\.js run-partition /,
        );
        expect(r.spec.start_script).not.toContain('npm install');
        expect(r.spec.start_script).toContain('command -v node');
      });
    },
  );

  it('sets scale, instance type, spot and the runs per machine from the flags', () => {
    const [r] = recipes(
      withOptions({ scale: 4, instanceType: '2xlarge', spot: true, nprocs: 6, image: 'img:1' }),
    );
    expect(r!.spec).toMatchObject({
      scale: 4,
      instance_type: '2xlarge',
      use_spot_instance: true,
      image: 'img:1',
    });
    expect(r!.spec.command[3]).toBe(
      'node /home/jovyan/workspace/.batchplan/bin/batchplan.js run-partition --nprocs 6 -- /data/sweep.plan extract 4 3',
    );
  });

  it('starts from a --recipe template (YAML or JSON), keeping the fields it does not set', () => {
    const template = {
      schema_version: '2024.04.01',
      type: 'job',
      owner: 'team/ml',
      spec: {
        name: 'old-name',
        image: 'template-image:2',
        instance_type: 'xlarge',
        description: 'kept',
        environment_variables: { DATA: 's3://bucket' },
        start_script: 'pip install -r requirements.txt\n',
        git_repositories: [{ url: 'git@github.com:org/repo.git' }],
        command: 'python old.py',
      },
    };
    const yamlPath = join(dir, 'recipe.yaml');
    const jsonPath = join(dir, 'recipe.json');
    writeFileSync(yamlPath, `# a template\n${JSON.stringify(template, null, 2)}`);
    writeFileSync(jsonPath, JSON.stringify(template));
    for (const path of [yamlPath, jsonPath]) {
      const [r] = recipes({
        ...withOptions({ recipe: path }),
        options: { recipe: path, instanceType: 'large' },
      });
      expect(r).toMatchObject({ owner: 'team/ml', type: 'job' });
      expect(r!.spec).toMatchObject({
        image: 'template-image:2',
        instance_type: 'large',
        description: 'kept',
        environment_variables: { DATA: 's3://bucket' },
        git_repositories: [{ url: 'git@github.com:org/repo.git' }],
      });
      // The user's name is kept, the stage's index after it (two stages); its schema_version too.
      expect(r!.spec.name).toBe('old-name-0');
      expect(r!.schema_version).toBe('2024.04.01');
      expect(r!.spec.start_script.startsWith('pip install -r requirements.txt\n### BEGIN BATCHPLAN')).toBe(
        true,
      );
    }
  });

  it('replaces its own block of a template that batchplan wrote before, rather than adding another', () => {
    const first = saturn.render(withOptions({}))[1]!.content;
    const path = join(dir, 'again.yaml');
    writeFileSync(path, first);
    const [r] = recipes({ ...sweep, options: { recipe: path } });
    expect(r!.spec.start_script.match(/BEGIN BATCHPLAN/g)).toHaveLength(1);
  });

  it('refuses to write a recipe that is not valid', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'spec:\n  scale: three\n');
    expect(() =>
      saturn.render({ ...withOptions({}), options: { recipe: path, image: 'i', instanceType: 'l' } }),
    ).toThrow(/spec\.scale/);
    writeFileSync(path, 'type: deployment\nspec: {}\n');
    expect(() =>
      saturn.render({ ...withOptions({}), options: { recipe: path, image: 'i', instanceType: 'l' } }),
    ).toThrow(/batchplan writes job recipes/);
    expect(() => saturn.render({ ...sweep, options: { instanceType: 'l' } })).toThrow(/needs --image/);
    expect(() => saturn.render({ ...sweep, options: { image: 'i' } })).toThrow(/needs --instance-type/);
  });

  it('runs the plan from --shared-path, or syncs it to the same path', () => {
    const shared = saturn.render(
      withOptions({ sharedPath: '/home/jovyan/shared/team/sweep.plan', sync: ['src'] }),
    );
    expect(parse(shared[1]!.content).spec.command[0]).toBe(
      'node /home/jovyan/workspace/.batchplan/bin/batchplan.js run-partition -- /home/jovyan/shared/team/sweep.plan extract 4 0',
    );
    expect(shared[0]!.content).toContain(
      'sc apply "$here/$2" --start --sync src ${ship_args[@]+"${ship_args[@]}"}\n',
    );
    const synced = saturn.render(withOptions({ sync: ['src:code'] }));
    expect(synced[0]!.content).toContain(
      'sc apply "$here/$2" --start --sync /data/sweep.plan --sync src:code ${ship_args[@]+"${ship_args[@]}"}\n',
    );
  });
});

describe('saturn apply.sh', () => {
  function applyWith(status: string) {
    const d = scratch('batchplan-saturn-');
    const bin = join(d, 'bin');
    const out = join(d, 'out');
    mkdirSync(bin);
    mkdirSync(out);
    const log = join(d, 'sc.log');
    writeFileSync(
      join(bin, 'sc'),
      `#!/usr/bin/env bash
echo "$*" >> "$SC_LOG"
if [ "$1" = get ]; then printf '{"spec": {"name": "%s"}, "state": {"id": "x", "status": "%s"}}\\n' "$3" "$SC_STATUS"; fi
`,
    );
    chmodSync(join(bin, 'sc'), 0o755);
    symlinkSync(join(ROOT, 'bin', 'batchplan.js'), join(bin, 'batchplan')); // shipped by apply.sh
    for (const f of saturn.render(withOptions({}))) {
      writeFileSync(join(out, f.path), f.content);
      if (f.executable) chmodSync(join(out, f.path), 0o755);
    }
    const r = spawnSync(join(out, 'apply.sh'), [], {
      encoding: 'utf8',
      timeout: 50_000, // apply.sh copies the batchplan package first
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        SC_LOG: log,
        SC_STATUS: status,
        BATCHPLAN_POLL_SECONDS: '0',
      },
    });
    return { r, calls: readFileSync(log, 'utf8').trim().split('\n') };
  }

  it('applies, starts and waits for each stage in order; a job that stops normally is no failure', () => {
    const { r, calls } = applyWith('stopped'); // saturn-client's ResourceStatus has no `completed`
    expect(r.status, r.stderr).toBe(0);
    expect(calls.map((c) => c.replace(/\/\S*\/(?=stage-|batchplan-package)/g, '…/'))).toEqual([
      'apply …/stage-0.recipe.yaml --start --sync /data/sweep.plan --sync …/batchplan-package:.batchplan',
      'get job bp-bbd449-0-extract -o json',
      'apply …/stage-1.recipe.yaml --start --sync /data/sweep.plan --sync …/batchplan-package:.batchplan',
      'get job bp-bbd449-1-merge -o json',
    ]);
  });

  it('stops with exit 1 when a stage’s job ends in error', () => {
    const { r, calls } = applyWith('error');
    expect(r.status).toBe(1);
    expect(calls).toHaveLength(2);
  });
});
