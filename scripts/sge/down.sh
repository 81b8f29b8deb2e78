#!/usr/bin/env bash
# Stop the single-node Grid Engine cell started by scripts/sge/up.sh: delete every job, then stop
# sge_execd and sge_qmaster through their PID files (never by name: only the daemons up.sh started).
# The packages and the cell's configuration stay; up.sh starts it again in a few seconds.
# Never touches Slurm. Exit status 1 if a daemon could not be stopped.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "down.sh: must run as root (no sudo found)" >&2; exit 1; }
  exec sudo bash "$0" "$@"
fi
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
export USER=${USER:-$(id -un)}
QPID=/var/spool/gridengine/qmaster/qmaster.pid

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
since() { local d=$(($(now_us) - $1)); printf '%d.%02ds' $((d / 1000000)) $((d / 10000 % 100)); }
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
daemon_pid() {
  local pid
  [ -s "$2" ] || return 1
  pid=$(cat "$2")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
join() { local out="" x; for x in "$@"; do out+="${out:+, }$x"; done; echo "$out"; }

T0=$(now_us)
did=()
failed=0
if daemon_pid sge_qmaster $QPID >/dev/null && command -v qstat >/dev/null; then
  n=$(qstat -u '*' 2>/dev/null | awk 'NR > 2' | wc -l)
  if [ "$n" -gt 0 ]; then
    qdel -f -u '*' >/dev/null 2>&1 || true
    queue_empty() { [ -z "$(qstat -u '*' 2>/dev/null)" ]; }
    wait_for 60 queue_empty || echo "down.sh: jobs still listed after 60 s; stopping anyway" >&2
    did+=("deleted $n job(s)")
  fi
fi
stop() { # name pidfile
  local pid
  pid=$(daemon_pid "$1" "$2") || return 0
  kill "$pid" 2>/dev/null || true
  if ! wait_for 30 gone "$pid"; then
    echo "down.sh: $1 (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
    wait_for 5 gone "$pid" || { failed=1; return 0; }
  fi
  did+=("stopped $1")
}
for f in /var/spool/gridengine/execd/*/execd.pid; do
  [ -f "$f" ] && stop sge_execd "$f"
done
stop sge_qmaster $QPID

[ ${#did[@]} -gt 0 ] || did=("nothing was running")
echo "sge down: $(join "${did[@]}") in $(since "$T0")"
exit $failed
