// Ask on the terminal without echo (a key's passphrase, a one-time password). Only on a TTY:
// a script or CI run never hangs waiting for an answer nobody can type.
import { createInterface } from 'node:readline';

export const canPrompt = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** Keyboard-interactive (a password or one-time code), for the refusals of both clients. */
export const KBD_NEEDS_TTY =
  'keyboard-interactive (a password or one-time code) is asked only on a terminal, and this run has none (stdin or stderr is not a TTY)';
export const kbdNoTtyHint = (host: string) =>
  `Run the command on a terminal to type the code, or log in with a key ${host} accepts (ssh-agent, or IdentityFile in ~/.ssh/config). A script or CI cannot answer it.`;
export const KBD_REFUSED_HINT =
  'The password or one-time code typed was refused (or the user name is wrong): run again to type it again; the host may lock you out after a few failures.';

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
