// Shell code that runs a command there and stops it when our side goes away. sshd sends no hangup
// to a session without a terminal: a command whose connection died (or whose local batchplan got
// Ctrl-C) would run on until it next writes. So the command runs in the background with stdin from
// /dev/null, and a watcher reads the session's stdin (the channel): at its EOF (we closed it, or
// the connection is gone) it sends SIGTERM, the stop a scheduler sends, to the session's process
// group. The script's exit status is the command's.
export function stoppedAtEof(commandLine: string): string {
  return [
    `${commandLine} </dev/null &`,
    'p=$!',
    "trap 'kill -TERM $p 2>/dev/null' TERM INT HUP",
    // A background job's stdin is /dev/null unless redirected: hand the watcher ours on fd 3.
    'exec 3<&0',
    // The session's process group when this shell leads one (sshd's setsid), else the command.
    '{ cat <&3; kill -TERM -- -$$ 2>/dev/null || kill -TERM $p; } >/dev/null 2>&1 &',
    'w=$!',
    'exec 3<&-',
    'rc=0; wait $p || rc=$?',
    // A trapped signal ends `wait` early: wait until the command has really exited.
    'while [ "$rc" -gt 128 ] && kill -0 $p 2>/dev/null; do rc=0; wait $p || rc=$?; done',
    'kill $w 2>/dev/null',
    'exit $rc',
  ].join('\n');
}
