#!/usr/bin/env bash
# Stop the private sshd of scripts/sshd/up.sh (by its PID file only). Keeps its keys; --purge also
# deletes its directory (and up.sh's PAM file). Sessions still open are separate children: they end with their clients.
set -euo pipefail
DIR=${BATCHPLAN_SSHD_DIR:-${TMPDIR:-/tmp}/batchplan-sshd}
if [ -f "$DIR/sshd.pid" ]; then
  pid=$(cat "$DIR/sshd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do
      st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
      { [ -z "$st" ] || [ "$st" = Z ]; } && break
      sleep 0.1
    done
    echo "sshd (pid $pid) stopped"
  fi
  rm -f "$DIR/sshd.pid"
else
  echo "no sshd pid file in $DIR"
fi
if [ "${1:-}" = --purge ]; then
  rm -rf "$DIR" && echo "removed $DIR"
  rm -f /etc/pam.d/batchplan-sshd-kbd # up.sh's PAM stack for the keyboard-interactive test sshd
fi
exit 0
