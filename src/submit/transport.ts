// Where scheduler commands run and where the plan directory's files live: this machine (execa +
// fs), or a remote host over SSH (src/submit/ssh/). Commands are argv only: no shell string is
// ever built from them here; a remote transport quotes each word itself.
import { execa } from 'execa';
import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  /** Where it reaches, for messages: 'this machine', 'me@login.cluster.org:22'. */
  readonly where: string;
  run(argv: string[]): Promise<CommandResult>;
  /** Whether a command exists where the transport runs commands. */
  has(command: string): Promise<boolean>;
  /** A file's bytes; rejects with `code: 'ENOENT'` when it does not exist. */
  readFile(path: string): Promise<Buffer>;
  /** The bytes from `offset` to the end: what a journal gained since the last read. */
  readFrom(path: string, offset: number): Promise<Buffer>;
  /** Write a file whole (temp + rename: a reader sees the old or the new file). */
  writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /** Names in a directory, sorted; undefined when the directory does not exist. */
  list(dir: string): Promise<string[] | undefined>;
  mkdir(dir: string): Promise<void>;
  /** Release the connection (a no-op here). */
  close(): Promise<void>;
}

/** A sibling name for temp + rename writes. */
export function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export const localTransport: Transport = {
  where: 'this machine',
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
  readFile: (path) => readFile(path),
  async readFrom(path, offset) {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(Math.max(0, size - offset));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  },
  async writeFile(path, data, mode) {
    const tmp = tempName(path);
    await writeFile(tmp, data, { mode: mode ?? 0o644 });
    await rename(tmp, path);
  },
  async list(dir) {
    try {
      return (await readdir(dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  async close() {},
};
