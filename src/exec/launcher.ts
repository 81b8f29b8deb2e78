// How run-partition starts a task's process: posix_spawn through the native module when it was
// built (native-launcher.ts: about half the cost per task), else Node's own spawn. Both give the
// task its own process group, /dev/null as stdin, a bounded tail of its output and the same exit and
// error reports; attempt.ts does the rest (timeouts, stops).
import { BatchplanError } from '../errors.js';
import { loadNativeLauncher } from './native-launcher.js';
import { spawnLauncher } from './spawn-launcher.js';

export interface LaunchSpec {
  cmd: string;
  shell: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Bytes of stdout and of stderr kept (the tail is kept). */
  logLimit: number;
}

export interface TaskExit {
  /** null when killed by a signal or when it could not start. */
  code: number | null;
  signal?: NodeJS.Signals;
  stdout: Buffer;
  stderr: Buffer;
}

export interface TaskProcess {
  /** Signal the task's whole process group; nothing once it has gone. */
  signal(sig: NodeJS.Signals): void;
  /** Settles once the task has exited and its output is collected; never rejects. */
  ended: Promise<TaskExit>;
}

export interface Launcher {
  readonly name: 'spawn' | 'native';
  launch(spec: LaunchSpec): TaskProcess;
  close(): Promise<void>;
}

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
