// Picks the launcher run-partition uses (launcher.ts holds the interface both implement), and says
// why: run-partition --json and `batchplan doctor` report it.
import { BatchplanError } from '../errors.js';
import type { Launcher } from './launcher.js';
import { loadNativeLauncher } from './native-launcher.js';
import { loadNativeModule } from './native-module.js';
import { spawnLauncher } from './spawn-launcher.js';

export interface LauncherChoice {
  launcher: Launcher;
  /** Why this one, in words. */
  reason: string;
}

let native: Launcher | undefined | null = null;
let warned = false;

/**
 * BATCHPLAN_LAUNCHER (read from `env`) picks: `spawn` (Node's), `native` (required: an error when
 * the module is missing or does not load), or unset/`auto`: native when it loads, else spawn. A
 * module that is there but does not load is a problem worth a warning, not a quiet fallback.
 */
export function chooseLauncher(env: NodeJS.ProcessEnv, warn = warnOnce): LauncherChoice {
  const choice = env.BATCHPLAN_LAUNCHER || 'auto';
  if (choice === 'spawn') return { launcher: spawnLauncher, reason: 'BATCHPLAN_LAUNCHER=spawn' };
  if (choice !== 'auto' && choice !== 'native')
    throw new BatchplanError(
      'E_USAGE',
      `BATCHPLAN_LAUNCHER must be auto, spawn or native, got '${choice}'`,
      'Unset it to let run-partition choose.',
    );
  const module = loadNativeModule();
  if (native === null) native = loadNativeLauncher();
  if (native) return { launcher: native, reason: module.reason };
  if (choice === 'native')
    throw new BatchplanError(
      'E_USAGE',
      `BATCHPLAN_LAUNCHER=native, but ${module.reason}`,
      'Build it with `node scripts/build-native.js` (needs a C compiler and Node.js headers), or unset BATCHPLAN_LAUNCHER.',
    );
  if (module.state === 'failed') warn(`${module.reason}; tasks start with Node's spawn (slower)`);
  return { launcher: spawnLauncher, reason: `Node's spawn: ${module.reason}` };
}

export function openLauncher(env: NodeJS.ProcessEnv): Launcher {
  return chooseLauncher(env).launcher;
}

function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`batchplan: warning: ${message}\n`);
}
