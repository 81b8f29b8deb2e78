# shellcheck shell=bash
# Helpers shared by scripts/slurm/up.sh and down.sh (sourced, not run).

# Run the calling script as root: the daemons and /etc, /run, /var need it. CI runners that are not
# root usually have passwordless sudo. $1 = comma-separated environment variables to keep.
as_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  command -v sudo >/dev/null || { echo "$(basename "$0"): must run as root (no sudo found)" >&2; exit 1; }
  if [ -n "$1" ]; then exec sudo --preserve-env="$1" bash "$0" "${@:2}"; fi
  exec sudo bash "$0" "${@:2}"
}

# Join the arguments with ", ".
join() {
  local out="" x
  for x in "$@"; do out+="${out:+, }$x"; done
  echo "$out"
}

# Microseconds since the epoch, from bash's own clock (no date/bc needed).
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
# Seconds since $1 (a now_us value), with two decimals.
since() { local d=$(($(now_us) - $1)); printf '%d.%02ds' $((d / 1000000)) $((d / 10000 % 100)); }

# Retry a command every 0.1 s for up to $1 seconds.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

# True when the process has exited. PID 1 on this kind of machine reaps orphans late, so a killed
# daemon lingers for a moment as a zombie, and `kill -0` still succeeds on a zombie: read the state.
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# The PID in pidfile $2 if it names a live (non-zombie) process called $1, else nothing and false.
# Checking the name guards against a stale PID file whose number was reused by another process.
daemon_pid() {
  local pid
  [ -s "$2" ] || return 1
  pid=$(cat "$2")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  gone "$pid" && return 1
  echo "$pid"
}
running() { daemon_pid "$1" "$2" >/dev/null; }

# SIGTERM the daemon named $1 from pidfile $2 and wait until it has exited (slurmctld saves its state
# on TERM first); SIGKILL after 30 s. Returns 1 if it could not be stopped.
stop_daemon() {
  local pid
  pid=$(daemon_pid "$1" "$2") || return 0
  kill "$pid" 2>/dev/null || true
  if ! wait_for 30 gone "$pid"; then
    echo "$1 (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
    wait_for 5 gone "$pid" || return 1
  fi
}
