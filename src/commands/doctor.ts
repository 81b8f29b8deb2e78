// batchplan doctor: what this machine gives batchplan, above all which task launcher run-partition
// will use and why (a module built for another machine, a failed build, a load error), and which
// engines are on PATH. It reports; it changes nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatchplanError } from '../errors.js';
import { findInPath } from '../exec/find-in-path.js';
import {
  builtTargets,
  loadNativeModule,
  nativeTarget,
  readBuildRecord,
  type BuildRecord,
} from '../exec/native-module.js';
import { chooseLauncher } from '../exec/open-launcher.js';
import { VERSION } from '../version.js';
import { printJson } from './output.js';

const SOURCE = fileURLToPath(new URL('../../src/exec/native/fast-spawn.c', import.meta.url));
/** What the runners and the tests run, by name. */
const ENGINES = ['bash', 'parallel', 'sbatch', 'qsub', 'bsub', 'kubectl', 'sc'];

export interface DoctorReport {
  version: string;
  node: string;
  target: string;
  launcher: { choice: string; name: 'native' | 'spawn' | null; reason: string };
  native: {
    path: string;
    state: 'loaded' | 'absent' | 'failed';
    reason: string;
    build: BuildRecord | null;
    /** Whether the module was built from the C source installed now (null: unknown). */
    current: boolean | null;
    /** Targets with a module in this installation. */
    targets: string[];
  };
  /** Each engine's path on PATH, or null. */
  engines: Record<string, string | null>;
}

export function doctorReport(env: NodeJS.ProcessEnv = process.env): DoctorReport {
  const choice = env.BATCHPLAN_LAUNCHER || 'auto';
  let launcher: DoctorReport['launcher'];
  try {
    const chosen = chooseLauncher(env, () => {});
    launcher = { choice, name: chosen.launcher.name, reason: chosen.reason };
  } catch (err) {
    if (!(err instanceof BatchplanError)) throw err;
    launcher = { choice, name: null, reason: err.message };
  }
  const module = loadNativeModule();
  const build = readBuildRecord() ?? null;
  let current: boolean | null = null;
  try {
    if (build?.ok && build.source)
      current = createHash('sha256').update(readFileSync(SOURCE)).digest('hex') === build.source;
  } catch {
    /* the source is not installed: unknown */
  }
  const cache = new Map<string, string>();
  const engines = Object.fromEntries(
    ENGINES.map((name) => {
      const found = findInPath(name, env.PATH, cache);
      return [name, found === name ? null : found];
    }),
  );
  return {
    version: VERSION,
    node: process.version,
    target: nativeTarget(),
    launcher,
    native: {
      path: module.path,
      state: module.state,
      reason: module.reason,
      build,
      current,
      targets: builtTargets(),
    },
    engines,
  };
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `batchplan ${r.version}, Node.js ${r.node}, ${r.target}`,
    `launcher: ${r.launcher.name ?? 'none'} (BATCHPLAN_LAUNCHER=${r.launcher.choice}): ${r.launcher.reason}`,
    `native module: ${r.native.state}, ${r.native.path}`,
  ];
  const b = r.native.build;
  if (b?.ok)
    lines.push(
      `  built ${b.at ?? ''} by ${b.compiler ?? 'cc'} on Node.js ${b.node ?? '?'}` +
        (r.native.current === false ? '; the C source changed since: run node scripts/build-native.js' : '') +
        (b.warnings ? `; compiler warnings:\n    ${b.warnings.split('\n').join('\n    ')}` : ''),
    );
  else if (b) lines.push(`  last build failed: ${b.reason ?? 'unknown'}`);
  const others = r.native.targets.filter((t) => t !== r.target);
  if (others.length) lines.push(`  also built here for: ${others.join(', ')}`);
  lines.push(
    'engines on PATH:',
    ...Object.entries(r.engines).map(([name, path]) => `  ${name.padEnd(9)}${path ?? '-'}`),
  );
  return lines.join('\n');
}

export default async function doctor(opts: { json?: boolean }): Promise<number> {
  const report = doctorReport();
  if (opts.json) printJson(report);
  else process.stdout.write(formatDoctor(report) + '\n');
  return 0;
}
