// How run-partition starts a task's process: posix_spawn through the native module when it was
// built (native-launcher.ts: about half the cost per task), else Node's own spawn. Both give the
// task its own process group, /dev/null as stdin, a bounded tail of its output and the same exit and
// error reports; attempt.ts does the rest (timeouts, stops). Types only: open-launcher.ts picks one.

export interface LaunchSpec {
  cmd: string;
  shell: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Bytes of stdout and of stderr kept (the tail is kept). */
  logLimit: number;
  /** Every chunk of output as it comes, uncut by logLimit. */
  onStdout?: (b: Buffer) => void;
  onStderr?: (b: Buffer) => void;
  /** A cgroup directory the task joins (cgroup.ts): before exec with the native launcher. */
  cgroup?: string;
}

export interface TaskExit {
  /** null when killed by a signal or when it could not start. */
  code: number | null;
  signal?: NodeJS.Signals;
  stdout: Buffer;
  stderr: Buffer;
  /** Why it could not start (an errno name such as ENOENT or EMFILE), if it did not. */
  startError?: string;
}

/** Start errors that are this process's lack of resources, not the task's fault: retry later. */
export const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']);

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
