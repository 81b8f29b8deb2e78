#!/usr/bin/env node
// Compile src/exec/native/fast-spawn.c into dist/native/fast_spawn.node (run by `npm install` and
// `npm run build`). One C file against Node-API's headers: a C compiler is all it needs, not
// node-gyp, Python or a download, so it also builds on offline login nodes. Without a compiler or
// the headers it says so and exits 0: run-partition then uses Node's spawn (slower per task).
// BATCHPLAN_REQUIRE_NATIVE=1 (CI) makes that a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'exec', 'native', 'fast-spawn.c');
const target = join(root, 'dist', 'native', 'fast_spawn.node');

// Node-API headers: npm's nodedir when set, else beside this node (<prefix>/include/node).
const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')]
  .filter(Boolean)
  .map((dir) => join(dir, 'include', 'node'));
const include = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));

function skip(why) {
  process.stderr.write(
    `batchplan: native task launcher not built (${why}); run-partition will use Node's spawn\n`,
  );
  process.exit(process.env.BATCHPLAN_REQUIRE_NATIVE === '1' ? 1 : 0);
}

if (process.platform !== 'linux')
  skip(`posix_spawn's Linux behaviour is what it relies on; this is ${process.platform}`);
if (!include) skip(`no node_api.h under ${candidates.join(' or ')}`);
mkdirSync(dirname(target), { recursive: true });
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-Werror', '-shared', '-fPIC', '-I', include, '-o', target, source], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch (e) {
  skip(`${cc} failed: ${e.message.split('\n')[0]}`);
}
