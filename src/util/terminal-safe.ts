// A task's output shown on a terminal must not drive the terminal: an ESC sequence in its stderr
// could retitle the window, hide lines, or (on some terminals) answer back with keystrokes.
// Control characters other than tab and newline are shown as \xNN instead. Only for a TTY: piped
// output and --json stay byte for byte what the task wrote.

// C0 controls but \t and \n, DEL, and the C1 controls (U+0080-U+009F: 0x9B is a CSI on some terminals).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** What to write to `stream`: escaped text when it is a terminal, the bytes as they are otherwise. */
export function forTerminal(stream: NodeJS.WriteStream, data: string | Buffer): string | Buffer {
  if (!stream.isTTY) return data;
  return escapeControls(typeof data === 'string' ? data : data.toString('utf8'));
}
