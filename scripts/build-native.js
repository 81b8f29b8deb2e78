#!/usr/bin/env node
// Compile src/exec/native/fast-spawn.c into dist/native/<platform>-<arch>-<libc>/fast_spawn.node
// (run by `npm install` and `npm run build`). One C file against Node-API's headers: a C compiler is
// all it needs, not node-gyp, Python or a download, so it also builds on offline login nodes. The
// target directory names the machine, so one installation shared by x86 and aarch64 nodes (or glibc
// and musl ones) holds a module for each: run this once on each kind (src/exec/native-module.ts
// finds the same directory). Beside the module, build.json records what happened, failures
// included: npm hides an install script's output, and `batchplan doctor` shows the record.
// Without a compiler or the headers it says so and exits 0: run-partition then uses Node's spawn.
// BATCHPLAN_REQUIRE_NATIVE=1 (CI) makes that a failure, and compiler warnings errors (-Werror);
// elsewhere a warning of a newer compiler is printed and recorded, never a reason to fall back.
//   node scripts/build-native.js [--print-target]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'exec', 'native', 'fast-spawn.c');
const required = process.env.BATCHPLAN_REQUIRE_NATIVE === '1';

/** As runtimeLibc in src/exec/native-module.ts: the C library mapped into this process. */
function libc() {
  if (process.platform !== 'linux') return '';
  let maps;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return 'unknown';
  }
  if (/\/ld-musl-[^/\s]*\.so|\/libc\.musl-/.test(maps)) return 'musl';
  if (/\/libc\.so\.6|\/libc-[\d.]+\.so/.test(maps)) return 'glibc';
  return 'unknown';
}

const target = [process.platform, process.arch, libc()].filter(Boolean).join('-');
if (process.argv.includes('--print-target')) {
  process.stdout.write(`${target}\n`);
  process.exit(0);
}
const dir = join(root, 'dist', 'native', target);
const module = join(dir, 'fast_spawn.node');
const cc = process.env.CC || 'cc';
const record = (fields) =>
  writeFileSync(
    join(dir, 'build.json'),
    JSON.stringify({ target, node: process.version, at: new Date().toISOString(), ...fields }, null, 2) +
      '\n',
  );

mkdirSync(dir, { recursive: true });
// Whatever happens next, no module from an earlier build (of older source) stays behind, nor one
// at the path of the layout before targets (dist/native/fast_spawn.node).
rmSync(module, { force: true });
rmSync(join(root, 'dist', 'native', 'fast_spawn.node'), { force: true });

function skip(why) {
  record({ ok: false, reason: why, compiler: cc });
  process.stderr.write(
    `batchplan: native task launcher not built (${why}); run-partition will use Node's spawn\n`,
  );
  process.exit(required ? 1 : 0);
}

if (process.platform !== 'linux')
  skip(`posix_spawn's Linux behaviour is what it relies on; this is ${process.platform}`);
// Node-API headers: npm's nodedir when set, else beside this node (<prefix>/include/node).
const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')]
  .filter(Boolean)
  .map((d) => join(d, 'include', 'node'));
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) skip(`no node_api.h under ${candidates.join(' or ')}`);

// Into a temporary file renamed into place: an interrupted or failed build leaves no module.
const partial = `${module}.${process.pid}.tmp`;
const flags = ['-O2', '-Wall', ...(required ? ['-Werror'] : []), '-shared', '-fPIC', '-I', include];
const r = spawnSync(cc, [...flags, '-o', partial, source], { encoding: 'utf8' });
const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
if (said) process.stderr.write(said + '\n');
if (r.error || r.status !== 0) {
  rmSync(partial, { force: true });
  const first = r.error
    ? r.error.message
    : said.split('\n').find((l) => /error/i.test(l)) || `exit status ${r.status}`;
  skip(`${cc} failed: ${first}`);
}
renameSync(partial, module);
record({
  ok: true,
  compiler: cc,
  flags: flags.slice(0, -2),
  source: createHash('sha256').update(readFileSync(source)).digest('hex'),
  ...(said ? { warnings: said } : {}),
});
