// Finding and loading the native task launcher's module. scripts/build-native.js writes it to
// dist/native/<platform>-<arch>-<libc>/fast_spawn.node, with a build record (build.json) beside it,
// so that one installation in a home directory shared by x86 login nodes and aarch64 compute nodes
// (or glibc and musl machines) holds a module for each and every machine loads its own.
// The build script computes the same target (a test keeps the two equal).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/native, from src/exec or dist/exec alike. */
export const NATIVE_DIR = fileURLToPath(new URL('../../dist/native', import.meta.url));
export const NATIVE_FILE = 'fast_spawn.node';
export const BUILD_RECORD = 'build.json';

/**
 * The C library this process runs on, from the libraries mapped into it (0.3 ms; process.report
 * would take 10 ms of every run-partition's start). '' off Linux, where the target has no libc part.
 */
export function runtimeLibc(maps?: string): 'glibc' | 'musl' | 'unknown' | '' {
  if (maps === undefined) {
    if (process.platform !== 'linux') return '';
    try {
      maps = readFileSync('/proc/self/maps', 'utf8');
    } catch {
      return 'unknown';
    }
  }
  if (/\/ld-musl-[^/\s]*\.so|\/libc\.musl-/.test(maps)) return 'musl';
  if (/\/libc\.so\.6|\/libc-[\d.]+\.so/.test(maps)) return 'glibc';
  return 'unknown';
}

/** This machine's target: linux-x64-glibc, linux-arm64-musl, darwin-arm64, … */
export function nativeTarget(): string {
  const libc = runtimeLibc();
  return [process.platform, process.arch, ...(libc ? [libc] : [])].join('-');
}

/** Where this machine's module is (whether or not it was built). */
export const NATIVE_MODULE = join(NATIVE_DIR, nativeTarget(), NATIVE_FILE);

/** What scripts/build-native.js recorded about its last build for a target. */
export interface BuildRecord {
  target: string;
  ok: boolean;
  /** Why it was not built (ok false). */
  reason?: string;
  /** What the compiler printed (warnings), if anything. */
  warnings?: string;
  compiler?: string;
  node?: string;
  /** sha256 of the C source it was built from. */
  source?: string;
  at?: string;
}

export function readBuildRecord(target = nativeTarget()): BuildRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(NATIVE_DIR, target, BUILD_RECORD), 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}

/** Targets with a built module in this installation (for saying what there is instead). */
export function builtTargets(): string[] {
  try {
    return readdirSync(NATIVE_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && readdirSync(join(NATIVE_DIR, e.name)).includes(NATIVE_FILE))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export interface NativeModuleState {
  path: string;
  /** loaded; absent: not built for this target; failed: built, but loading it threw. */
  state: 'loaded' | 'absent' | 'failed';
  /** In words: why it is (not) in use. */
  reason: string;
  /** The module's exports (state loaded); native-launcher.ts knows their shape. */
  module?: unknown;
}

let cached: NativeModuleState | undefined;

/** Load this machine's module once; never throws (the state says what went wrong). */
export function loadNativeModule(path = NATIVE_MODULE): NativeModuleState {
  if (cached && cached.path === path) return cached;
  let module: unknown;
  try {
    module = createRequire(import.meta.url)(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    cached =
      e.code === 'MODULE_NOT_FOUND' && e.message.includes(path)
        ? { path, state: 'absent', reason: absentReason(path) }
        : { path, state: 'failed', reason: `loading ${path} failed: ${e.message.split('\n')[0]}` };
    return cached;
  }
  cached = { path, state: 'loaded', reason: `the native module ${path} is loaded`, module };
  return cached;
}

function absentReason(path: string): string {
  const target = nativeTarget();
  const record = path === NATIVE_MODULE ? readBuildRecord(target) : undefined;
  const others = builtTargets().filter((t) => t !== target);
  const why =
    record && !record.ok && record.reason ? `: ${record.reason}` : ' (run node scripts/build-native.js)';
  const elsewhere = others.length ? `; built here for ${others.join(', ')} only` : '';
  return `the native module was not built for ${target}${why}${elsewhere}`;
}
