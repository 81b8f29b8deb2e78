// scripts/build-native.js in a scratch copy of the package: where the module goes, what the build
// record says, that a failed build leaves no module behind, and that a compiler warning fails only
// where failures are wanted (BATCHPLAN_REQUIRE_NATIVE=1), never turning silently into Node's spawn.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeTarget } from '../../src/exec/native-module.js';
import { ROOT, scratch } from '../helpers.js';

const hasCc = spawnSync('bash', ['-c', 'command -v "${CC:-cc}"']).status === 0;

function copy() {
  const root = scratch('batchplan-build-native-');
  for (const part of ['scripts/build-native.js', 'src/exec/native/fast-spawn.c'])
    cpSync(join(ROOT, part), join(root, part), { recursive: true });
  const dir = join(root, 'dist', 'native', nativeTarget());
  const build = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [join(root, 'scripts', 'build-native.js')], {
      encoding: 'utf8',
      env: { ...process.env, BATCHPLAN_REQUIRE_NATIVE: '', ...env },
    });
  const record = () => JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as Record<string, unknown>;
  return { root, dir, module: join(dir, 'fast_spawn.node'), build, record };
}

describe.runIf(process.platform === 'linux' && hasCc)('scripts/build-native.js', () => {
  it('builds into dist/native/<target>/, records the build, and removes a module of the old layout', () => {
    const c = copy();
    mkdirSync(join(c.root, 'dist', 'native'), { recursive: true });
    writeFileSync(join(c.root, 'dist', 'native', 'fast_spawn.node'), 'old');
    const r = c.build();
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(c.module)).toBe(true);
    expect(existsSync(join(c.root, 'dist', 'native', 'fast_spawn.node'))).toBe(false);
    expect(readdirSync(c.dir).sort()).toEqual(['build.json', 'fast_spawn.node']); // no temporary left
    expect(c.record()).toMatchObject({ target: nativeTarget(), ok: true, node: process.version });
    expect(c.record().flags).not.toContain('-Werror');
  });

  it('a failed build leaves no module behind, says why in the record, and fails only when required', () => {
    const c = copy();
    expect(c.build().status).toBe(0);
    const r = c.build({ CC: 'false' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/native task launcher not built \(false failed: exit status 1\)/);
    expect(existsSync(c.module)).toBe(false);
    expect(c.record()).toMatchObject({ ok: false, reason: 'false failed: exit status 1' });
    expect(c.build({ CC: 'false', BATCHPLAN_REQUIRE_NATIVE: '1' }).status).toBe(1);
  });

  it('a compiler warning is printed and recorded, not a fallback; -Werror only when required', () => {
    const c = copy();
    appendFileSync(
      join(c.root, 'src/exec/native/fast-spawn.c'),
      '\nstatic int batchplan_unused(void) { return 0; }\n',
    );
    const r = c.build();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/batchplan_unused/);
    expect(existsSync(c.module)).toBe(true);
    expect(String(c.record().warnings)).toMatch(/batchplan_unused.*-Wunused-function/s);
    const strict = c.build({ BATCHPLAN_REQUIRE_NATIVE: '1' });
    expect(strict.status).toBe(1);
    expect(existsSync(c.module)).toBe(false);
    expect(c.record()).toMatchObject({ ok: false });
  });
});

it('npm pack ships the build script and the C source, never a built module', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  expect(files).toContain('scripts/build-native.js');
  expect(files).toContain('src/exec/native/fast-spawn.c');
  expect(files).toContain('dist/exec/native-module.js');
  expect(files.filter((f) => f.startsWith('dist/native/') || f.endsWith('.node'))).toEqual([]);
});
