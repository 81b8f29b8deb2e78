// `batchplan remote setup HOST`: install this very batchplan on a remote host without npm there.
// The package (bin, dist, templates, schema, package.json and the production dependencies it
// loads there) goes over the one connection as a tarball into ~/.batchplan/<version>/, extracted
// beside it and renamed into place; it then answers --version or the setup fails. ssh2 is left
// out: the remote batchplan runs plans, it does not open SSH connections of its own.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchplanError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { resolveRemoteDir } from './remote-dir.js';
import type { RemoteTransport } from './remote-transport.js';

const MIN_NODE_MAJOR = 20;
const PACKAGE_PARTS = ['bin', 'dist', 'templates', 'schema', 'package.json'];
const NOT_REMOTE = new Set(['ssh2']);

export interface SetupResult {
  host: string;
  dir: string;
  version: string;
  installed: boolean;
  /** Pass as --remote-batchplan from here, and as --batchplan-command for the scripts there. */
  command: string;
}

/** node_modules/<name> of every production dependency reachable from the package (npm hoists them). */
export function runtimeModules(root: string): string[] {
  const seen = new Set<string>();
  const visit = (pkgDir: string) => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (NOT_REMOTE.has(name) || seen.has(name)) continue;
      // Nested copies travel inside their parent's directory; hoisted ones sit at the root.
      const nested = join(pkgDir, 'node_modules', name);
      const dir = existsSync(nested) ? nested : join(root, 'node_modules', name);
      if (!existsSync(dir)) continue; // an optional dependency of another platform
      if (dir === join(root, 'node_modules', name)) seen.add(name);
      visit(dir);
    }
  };
  visit(root);
  return [...seen].sort().map((n) => `node_modules/${n}`);
}

export async function remoteSetup(t: RemoteTransport, force: boolean): Promise<SetupResult> {
  const node = await t.exec('command -v node && node --version', { idempotent: true });
  const [nodePath, nodeVersion] = node.stdout.toString().trim().split('\n');
  const major = Number(/^v(\d+)/.exec(nodeVersion ?? '')?.[1]);
  if (node.exitCode !== 0 || !nodePath || !(major >= MIN_NODE_MAJOR))
    throw new BatchplanError(
      'E_REMOTE_BATCHPLAN',
      `batchplan needs Node.js ${MIN_NODE_MAJOR} or newer on ${t.where}; ${node.exitCode === 0 ? `it has ${nodeVersion}` : 'there is no node on its PATH'}`,
      'Load it first (e.g. `module load nodejs` in ~/.bashrc, or install it under your home), then run remote setup again.',
    );
  const home = await resolveRemoteDir(t, undefined, false);
  const dir = `${home}/.batchplan/${VERSION}`;
  const command = `${shellQuote(nodePath)} ${shellQuote(`${dir}/bin/batchplan.js`)}`;
  const result = { host: t.where, dir, version: VERSION, command };
  const check = async () =>
    (await t.exec(`${command} --version`, { idempotent: true })).stdout.toString().trim();
  if (!force && (await check()) === VERSION) return { ...result, installed: false };

  const root = fileURLToPath(PACKAGE_ROOT);
  const parts = [...PACKAGE_PARTS.filter((p) => existsSync(join(root, p))), ...runtimeModules(root)];
  const tarball = execFileSync('tar', ['-czf', '-', '-C', root, ...parts], { maxBuffer: 1 << 30 });
  const tmp = `${home}/.batchplan/.${VERSION}.tmp-${process.pid}-${Date.now().toString(36)}`;
  await t.mkdir(`${home}/.batchplan`);
  await t.writeFile(`${tmp}.tar.gz`, tarball);
  const q = shellQuote(dir);
  const qt = shellQuote(tmp);
  const r = await t.exec(
    `mkdir -- ${qt} && tar -xzf ${qt}.tar.gz -C ${qt} && rm -f -- ${qt}.tar.gz && ` +
      `{ [ ! -e ${q} ] || mv -T -- ${q} ${qt}.old; } && mv -T -- ${qt} ${q} && rm -rf -- ${qt}.old`,
  );
  if (r.exitCode !== 0) {
    await t.exec(`rm -rf -- ${qt} ${qt}.tar.gz`);
    throw new BatchplanError(
      'E_IO',
      `cannot unpack batchplan into ${dir} on ${t.where}: ${r.stderr.toString().trim()}`,
    );
  }
  const said = await check();
  if (said !== VERSION)
    throw new BatchplanError(
      'E_REMOTE_BATCHPLAN',
      `batchplan was copied to ${dir} on ${t.where} but does not run there (\`--version\` said: ${said || 'nothing'})`,
      'Its native parts may not fit that machine; run `' + command + ' --version` there to see why.',
    );
  return { ...result, installed: true };
}
