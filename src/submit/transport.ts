// Where scheduler commands run. Local: execa, argv only (no shell string is ever built).
import { execa } from 'execa';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  run(argv: string[]): Promise<CommandResult>;
  /** Whether a command exists where the transport runs commands. */
  has(command: string): Promise<boolean>;
}

export const localTransport: Transport = {
  async run(argv) {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore', timeout: 120_000 });
    // No exit code: the command could not be started (not found) or was killed.
    if (r.exitCode === undefined)
      return { exitCode: 127, stdout: '', stderr: r.shortMessage ?? 'could not run' };
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  },
  async has(command) {
    const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', command], { reject: false });
    return r.exitCode === 0;
  },
};
