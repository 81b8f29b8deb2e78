// Picks the launcher run-partition uses (launcher.ts holds the interface both implement).
import { BatchplanError } from '../errors.js';
import type { Launcher } from './launcher.js';
import { loadNativeLauncher } from './native-launcher.js';
import { spawnLauncher } from './spawn-launcher.js';

let native: Launcher | undefined | null = null;

/**
 * BATCHPLAN_LAUNCHER (read from `env`) picks: `spawn` (Node's), `native` (required: an error when
 * the module was not built), or unset/`auto`: native when built, else spawn.
 */
export function openLauncher(env: NodeJS.ProcessEnv): Launcher {
  const choice = env.BATCHPLAN_LAUNCHER || 'auto';
  if (choice === 'spawn') return spawnLauncher;
  if (choice !== 'auto' && choice !== 'native')
    throw new BatchplanError(
      'E_USAGE',
      `BATCHPLAN_LAUNCHER must be auto, spawn or native, got '${choice}'`,
      'Unset it to let run-partition choose.',
    );
  if (native === null) native = loadNativeLauncher();
  if (native) return native;
  if (choice === 'auto') return spawnLauncher;
  throw new BatchplanError(
    'E_USAGE',
    'BATCHPLAN_LAUNCHER=native, but the native module was not built (dist/native/fast_spawn.node)',
    'Build it with `node scripts/build-native.js` (needs a C compiler and Node.js headers), or unset BATCHPLAN_LAUNCHER.',
  );
}
