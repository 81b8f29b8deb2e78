// Finding and loading the native launcher's module, through a copy of the built installation: the
// module of another machine's target is not this one's, a module that does not load is reported
// (run-partition warns, --json and doctor say why), and BATCHPLAN_LAUNCHER=native refuses both.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATIVE_DIR, NATIVE_MODULE, nativeTarget, runtimeLibc } from '../../src/exec/native-module.js';
import { ROOT, scratch } from '../helpers.js';

describe('the target a module is built for', () => {
  it('names the platform, the architecture and the C library', () => {
    expect(nativeTarget()).toBe(`${process.platform}-${process.arch}-${runtimeLibc()}`);
    expect(NATIVE_MODULE).toBe(join(NATIVE_DIR, nativeTarget(), 'fast_spawn.node'));
    if (process.platform === 'linux') expect(['glibc', 'musl']).toContain(runtimeLibc());
  });

  it('is the one the build script builds for', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-native.js'), '--print-target'], {
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe(nativeTarget());
  });

  it('tells glibc from musl by the libraries mapped into the process', () => {
    const line = (path: string) => `7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 ${path}\n`;
    expect(runtimeLibc(line('/usr/lib/x86_64-linux-gnu/libc.so.6'))).toBe('glibc');
    expect(runtimeLibc(line('/lib64/libc-2.17.so'))).toBe('glibc');
    expect(runtimeLibc(line('/lib/ld-musl-aarch64.so.1'))).toBe('musl');
    expect(runtimeLibc(line('/usr/lib/libc.musl-x86_64.so.1'))).toBe('musl');
    expect(runtimeLibc(line('/usr/bin/node'))).toBe('unknown');
  });
});

/** A copy of this installation (bin, dist, package.json; node_modules linked) to break at will. */
function installation(): {
  root: string;
  target: string;
  cli: (args: string[], env?: NodeJS.ProcessEnv) => ReturnType<typeof spawnSync>;
} {
  const root = scratch('batchplan-native-');
  for (const part of ['bin', 'dist', 'package.json', 'src/exec/native'])
    cpSync(join(ROOT, part), join(root, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [join(root, 'bin', 'batchplan.js'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BATCHPLAN_LAUNCHER: '', ...env },
    });
  return { root, target: join(root, 'dist', 'native', nativeTarget()), cli };
}

function onePlan(inst: ReturnType<typeof installation>): string {
  writeFileSync(
    join(inst.root, 'one.yaml'),
    'stages:\n  - name: s\n    tasks: [{cmd: "true"}, {cmd: "true"}]\n',
  );
  const r = inst.cli(['plan', 'one.yaml', '-o', 'one.plan']);
  expect(r.status, String(r.stderr)).toBe(0);
  return join(inst.root, 'one.plan');
}

interface Doctor {
  launcher: { name: string | null; reason: string };
  native: { state: string; reason: string; targets: string[] };
}

describe.skipIf(process.platform !== 'linux')('which launcher, and why', () => {
  it('a module that does not load: run-partition warns, falls back, and says why in --json; doctor too', () => {
    const inst = installation();
    mkdirSync(inst.target, { recursive: true });
    writeFileSync(join(inst.target, 'fast_spawn.node'), 'not an ELF file');
    const plan = onePlan(inst);
    const r = inst.cli(['run-partition', plan, 's', '2', '0', '--json']);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(r.stderr).toMatch(/warning: loading .*fast_spawn\.node failed: .*; tasks start with Node's spawn/);
    const out = JSON.parse(String(r.stdout)) as { launcher: { name: string; reason: string } };
    expect(out.launcher.name).toBe('spawn');
    expect(out.launcher.reason).toMatch(/^Node's spawn: loading .*fast_spawn\.node failed/);
    const d = JSON.parse(String(inst.cli(['doctor', '--json']).stdout)) as Doctor;
    expect(d.native.state).toBe('failed');
    expect(d.launcher.name).toBe('spawn');
    const text = String(inst.cli(['doctor']).stdout);
    expect(text).toMatch(/^launcher: spawn \(BATCHPLAN_LAUNCHER=auto\): Node's spawn: loading /m);
    const required = inst.cli(['run-partition', plan, 's', '2', '1'], { BATCHPLAN_LAUNCHER: 'native' });
    expect(required.status).toBe(2);
    expect(required.stderr).toMatch(/E_USAGE.*BATCHPLAN_LAUNCHER=native, but loading .* failed/);
  });

  it('a home shared with another architecture: its module is not loaded, and doctor names what there is', () => {
    const inst = installation();
    renameSync(inst.target, join(inst.root, 'dist', 'native', 'linux-otherarch-glibc'));
    const plan = onePlan(inst);
    const r = inst.cli(['run-partition', plan, 's', '1', '0', '--json']);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const out = JSON.parse(String(r.stdout)) as { launcher: { name: string; reason: string } };
    expect(out.launcher).toEqual({
      name: 'spawn',
      reason: `Node's spawn: the native module was not built for ${nativeTarget()} (run node scripts/build-native.js); built here for linux-otherarch-glibc only`,
    });
    const d = JSON.parse(String(inst.cli(['doctor', '--json']).stdout)) as Doctor;
    expect(d.native).toMatchObject({ state: 'absent', targets: ['linux-otherarch-glibc'] });
  });

  it('a failed build: the reason it recorded is the reason given', () => {
    const inst = installation();
    const r = spawnSync(process.execPath, [join(inst.root, 'scripts', 'build-native.js')], {
      encoding: 'utf8',
    });
    expect(r.status).not.toBeNull(); // scripts/ was not copied: the copy has no build script
    cpSync(join(ROOT, 'scripts', 'build-native.js'), join(inst.root, 'scripts', 'build-native.js'));
    const b = spawnSync(process.execPath, [join(inst.root, 'scripts', 'build-native.js')], {
      encoding: 'utf8',
      env: { ...process.env, CC: 'no-such-compiler', BATCHPLAN_REQUIRE_NATIVE: '' },
    });
    expect(b.status).toBe(0);
    const d = JSON.parse(String(inst.cli(['doctor', '--json']).stdout)) as Doctor;
    expect(d.native.state).toBe('absent');
    expect(d.launcher.reason).toMatch(
      /not built for .*: no-such-compiler failed: spawnSync no-such-compiler ENOENT/,
    );
  });

  it('the module of this machine, when built, is the one in use', () => {
    const d = JSON.parse(
      String(
        spawnSync(process.execPath, [join(ROOT, 'bin', 'batchplan.js'), 'doctor', '--json'], {
          encoding: 'utf8',
          env: { ...process.env, BATCHPLAN_LAUNCHER: '' },
        }).stdout,
      ),
    ) as Doctor & { native: { path: string; current: boolean | null } };
    expect(d.native.path).toBe(NATIVE_MODULE);
    if (d.native.state === 'loaded') {
      expect(d.launcher.name).toBe('native');
      expect(d.native.current).toBe(true);
    } else expect(process.env.BATCHPLAN_REQUIRE_ENGINES).not.toBe('1');
  });
});
