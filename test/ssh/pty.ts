// batchplan under a real pseudo-terminal (util-linux `script`), as a person at a terminal runs it:
// each time the question appears, the answer is typed.
import { spawn } from 'node:child_process';
import { BIN } from '../helpers.js';

export interface PtyRun {
  code: number | null;
  /** What the terminal showed (the answers are typed without echo: they must not be in it). */
  out: string;
  /** How many times the answer was typed. */
  typed: number;
}

/** Run batchplan with `args` under a pseudo-terminal; type `answer` at every `ask` it shows. */
export function inPty(args: string[], env: NodeJS.ProcessEnv, ask: string, answer: string): Promise<PtyRun> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const child = spawn('script', ['-qfec', [process.execPath, BIN, ...args].map(q).join(' '), '/dev/null'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let typed = 0;
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.split(ask).length - 1 > typed) {
      typed++;
      child.stdin.write(`${answer}\r`);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, typed });
    }),
  );
}
