// Ask on the terminal without echo (a key's passphrase, a one-time password). Only on a TTY:
// a script or CI run never hangs waiting for an answer nobody can type.
import { createInterface } from 'node:readline';

export const canPrompt = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

export function promptHidden(question: string, echo = false): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (echo || s === question) write.call(rl, s);
    };
    rl.question(question, (answer) => {
      rl.close();
      if (!echo) process.stderr.write('\n');
      resolve(answer);
    });
  });
}
