#!/usr/bin/env bash
# Install (if needed), configure and start a single-node Son of Grid Engine 8.1.9 cell (Debian 12's
# gridengine-* packages) for the test suite and CI, without systemd. Exits 0 only after a real job has
# run to completion. Coexists with the Slurm cluster of scripts/slurm/up.sh: it never touches Slurm.
#
#   sge_qmaster  started as root, runs as sgeadmin  pid /var/spool/gridengine/qmaster/qmaster.pid
#   sge_execd    started as root, runs as sgeadmin  pid /var/spool/gridengine/execd/<host>/execd.pid
#   cell         SGE_ROOT=/var/lib/gridengine SGE_CELL=default (what the /usr/bin/q* wrappers assume)
#   queue        all.q on this host, BATCHPLAN_SGE_SLOTS slots, parallel environment `smp` ($pe_slots)
#   accounting   /var/lib/gridengine/default/common/accounting (qacct -j, a few seconds after a job ends)
#
# Idempotent: when the daemons already run it only checks the configuration, the queue and a smoke job.
# Stop with scripts/sge/down.sh.
#
# gridengine-client ships /usr/bin/qsub, as does Slurm's slurm-wlm-torque: installing one removes the
# other. If slurm-wlm-torque is installed this script refuses rather than remove it (the project's own
# Torque wrappers live under /opt, see scripts/slurm/torque-wrappers.sh, and are not affected).
#
# Environment knobs:
#   BATCHPLAN_SGE_SLOTS    slots of all.q (default 8): array tasks at once
#   BATCHPLAN_SGE_NOTIFY   queue `notify` time in seconds: from the -notify warning (SIGUSR2) and an
#                          s_rt warning (SIGUSR1) to SIGKILL (default 10; Grid Engine's is 60)
#   BATCHPLAN_SGE_SMOKE    1 (default) = finish with `qsub -sync y /bin/true`; 0 = skip
#   BATCHPLAN_SGE_TIMEOUT  seconds to wait for the daemons, the queue and the smoke job (default 60)
set -euo pipefail

KNOBS=BATCHPLAN_SGE_SLOTS,BATCHPLAN_SGE_NOTIFY,BATCHPLAN_SGE_SMOKE,BATCHPLAN_SGE_TIMEOUT
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "up.sh: must run as root (no sudo found)" >&2; exit 1; }
  exec sudo --preserve-env="$KNOBS" bash "$0" "$@"
fi

SLOTS=${BATCHPLAN_SGE_SLOTS:-8}
NOTIFY=${BATCHPLAN_SGE_NOTIFY:-10}
SMOKE=${BATCHPLAN_SGE_SMOKE:-1}
TIMEOUT=${BATCHPLAN_SGE_TIMEOUT:-60}
for v in SLOTS NOTIFY TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "up.sh: BATCHPLAN_SGE_$v must be a whole number, got '${!v}'" >&2; exit 2; }
done

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
# Plain `qstat` lists only $USER's jobs, and USER is unset in some environments (containers, CI).
export USER=${USER:-$(id -un)}
HOST=$(hostname -s)
COMMON=$SGE_ROOT/$SGE_CELL/common
QPID=/var/spool/gridengine/qmaster/qmaster.pid

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
since() { local d=$(($(now_us) - $1)); printf '%d.%02ds' $((d / 1000000)) $((d / 10000 % 100)); }
wait_for() { # seconds command...: retry every 0.2 s
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
# The PID in pidfile $2 if it names a live (non-zombie) process called $1 (guards against reused PIDs).
daemon_pid() {
  local pid
  [ -s "$2" ] || return 1
  pid=$(cat "$2")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}
running() { daemon_pid "$1" "$2" >/dev/null; }
join() { local out="" x; for x in "$@"; do out+="${out:+, }$x"; done; echo "$out"; }

T0=$(now_us)
did=() # what this run did, for the one-line summary
die() {
  echo "up.sh: $*" >&2
  exit 1
}

# --- packages ---------------------------------------------------------------------------------
if ! [ -x /usr/sbin/sge_qmaster ] || ! [ -x /usr/sbin/sge_execd ] || ! command -v qconf >/dev/null \
  || ! command -v qsub >/dev/null || ! command -v qacct >/dev/null; then
  if [ "$(dpkg-query -W -f='${Status}' slurm-wlm-torque 2>/dev/null)" = "install ok installed" ]; then
    die "slurm-wlm-torque is installed and owns /usr/bin/qsub; installing gridengine-client would remove it." \
      "Remove it yourself (scripts/slurm/torque-wrappers.sh provides Slurm's wrappers under /opt instead)."
  fi
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  apt_get() { apt-get -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1; }
  command -v debconf-set-selections >/dev/null || apt_get install -y -q debconf-utils \
    || { apt_get update -qq && apt_get install -y -q debconf-utils; } || { cat "$log" >&2; die "could not install debconf-utils"; }
  # The keys are shared/* (gridengine/* would leave act_qmaster empty); gridengineconfig=true makes the
  # postinst create the cell (SGE_ROOT=/var/lib/gridengine, berkeleydb spool, admin user sgeadmin).
  debconf-set-selections <<EOF
gridengine-common shared/gridenginemaster string $HOST
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridengineconfig boolean true
EOF
  pkgs=(gridengine-master gridengine-exec gridengine-client)
  # apt-get update only if the install fails (stale or absent package lists)
  apt_get install -y -q "${pkgs[@]}" || { apt_get update -qq && apt_get install -y -q "${pkgs[@]}"; } \
    || { cat "$log" >&2; die "apt-get install ${pkgs[*]} failed"; }
  rm -f "$log"
  did+=("installed ${pkgs[*]}")
fi

# --- host naming --------------------------------------------------------------------------------
# 127.0.0.1 reverse-resolves to "localhost" while the host calls itself $HOST; commlib refuses the
# mismatch ("access denied ... client IP resolved to host name localhost") unless the names are aliased.
[ "$(cat "$COMMON/act_qmaster" 2>/dev/null)" = "$HOST" ] || { echo "$HOST" >"$COMMON/act_qmaster"; did+=("wrote act_qmaster"); }
[ "$(cat "$COMMON/host_aliases" 2>/dev/null)" = "$HOST localhost" ] \
  || { echo "$HOST localhost" >"$COMMON/host_aliases"; did+=("wrote host_aliases"); }
chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
chmod 644 "$COMMON/act_qmaster" "$COMMON/host_aliases"
mkdir -p -m 755 /var/run/gridengine
chown sgeadmin:sgeadmin /var/run/gridengine

# --- qmaster --------------------------------------------------------------------------------------
if ! running sge_qmaster $QPID; then
  /usr/sbin/sge_qmaster || die "sge_qmaster failed to start; see /var/spool/gridengine/qmaster/messages"
  did+=("started sge_qmaster")
fi
wait_for "$TIMEOUT" eval 'qconf -sh >/dev/null 2>&1' \
  || die "sge_qmaster does not answer (qconf -sh); see /var/spool/gridengine/qmaster/messages"

# --- configuration (idempotent; each change only when needed) ----------------------------------------
ED=$(mktemp -d)
trap 'rm -rf "$ED"' EXIT
# qconf -m* opens $EDITOR on a temporary file: a sed script is a non-interactive editor.
edit() { # qconf-option sed-expression... : edit one object with sed
  local opt=$1
  shift
  { printf '#!/bin/sh\nsed -i'; printf " -e '%s'" "$@"; printf ' "$1"\n'; } >"$ED/edit.sh"
  chmod +x "$ED/edit.sh"
  local out
  out=$(EDITOR=$ED/edit.sh qconf "$opt" 2>&1) || die "qconf $opt failed: $out"
}
quiet() { # command...: run it, print its output only if it fails
  local out
  out=$("$@" 2>&1) || die "$* failed: $out"
}
execd_conf_changed=0
# The default min_uid/min_gid 1000 rejects root's jobs ("your user id 0 is lower than minimum user id").
if qconf -sconf | grep -Eq '^min_(uid|gid) +[1-9]'; then
  edit -mconf 's/^min_uid .*/min_uid 0/' 's/^min_gid .*/min_gid 0/'
  execd_conf_changed=1
  did+=("min_uid 0")
fi
# Schedule every second instead of every 15 s, and at once when a job is submitted or finishes.
if ! qconf -ssconf | grep -Eq '^schedule_interval +0:0:1$' || ! qconf -ssconf | grep -Eq '^flush_submit_sec +1$'; then
  edit -msconf 's/^schedule_interval .*/schedule_interval 0:0:1/' 's/^flush_submit_sec .*/flush_submit_sec 1/' \
    's/^flush_finish_sec .*/flush_finish_sec 1/'
  did+=("fast scheduler")
fi
if ! qconf -se "$HOST" >/dev/null 2>&1; then
  printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
    "$HOST" >"$ED/exechost"
  quiet qconf -Ae "$ED/exechost"
  did+=("added exec host")
fi
qconf -ss 2>/dev/null | grep -qx "$HOST" || { quiet qconf -as "$HOST" && did+=("added submit host"); }
# A parallel environment for multi-slot partitions (-pe smp <slots>): all slots on one host.
if ! qconf -sp smp >/dev/null 2>&1; then
  printf 'pe_name smp\nslots 9999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args NONE\nstop_proc_args NONE\nallocation_rule $pe_slots\ncontrol_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' \
    >"$ED/pe"
  quiet qconf -Ap "$ED/pe"
  did+=("added pe smp")
fi
notify=$(printf '00:00:%02d' "$NOTIFY")
if ! qconf -sq all.q >/dev/null 2>&1; then
  # The default template lists PEs "make smp mpi" that do not exist. unix_behavior: the #! line picks
  # the shell, as it would outside Grid Engine.
  edit -aq 's/^qname .*/qname all.q/' "s/^hostlist .*/hostlist $HOST/" "s/^slots .*/slots $SLOTS/" \
    's/^pe_list .*/pe_list smp/' 's#^shell .*#shell /bin/bash#' 's/^shell_start_mode .*/shell_start_mode unix_behavior/' \
    "s/^notify .*/notify $notify/" 's/^load_thresholds .*/load_thresholds NONE/'
  did+=("added queue all.q")
else
  q=$(qconf -sq all.q)
  set_q() { # attribute value
    if ! grep -Eq "^$1 +$2\$" <<<"$q"; then
      quiet qconf -rattr queue "$1" "$2" all.q
      did+=("all.q $1 $2")
    fi
  }
  set_q slots "$SLOTS"
  set_q pe_list smp
  set_q notify "$notify"
  # The default np_load_avg=1.75 puts the queue in alarm state (no new jobs) on a busy shared machine.
  set_q load_thresholds NONE
fi

# --- execd --------------------------------------------------------------------------------------
EPID=/var/spool/gridengine/execd/$HOST/execd.pid
[ -f "$EPID" ] || EPID=$(ls /var/spool/gridengine/execd/*/execd.pid 2>/dev/null | head -n 1 || true)
if [ -n "$EPID" ] && running sge_execd "$EPID" && [ $execd_conf_changed = 1 ]; then
  # A running execd keeps the old min_uid and fails root's jobs "before job": restart it.
  kill "$(cat "$EPID")" 2>/dev/null || true
  wait_for 30 eval '! running sge_execd "$EPID"' || die "sge_execd did not stop"
  did+=("stopped sge_execd for the new config")
fi
if [ -z "$EPID" ] || ! running sge_execd "$EPID"; then
  /usr/sbin/sge_execd || die "sge_execd failed to start; see /var/spool/gridengine/execd/$HOST/messages"
  did+=("started sge_execd")
fi
qmod -cq all.q >/dev/null 2>&1 || true # clear an E (error) state left by earlier failures
qstate=""
queue_ready() { # the queue instance reports a load and has no state letters (u = unknown, E, d ...)
  qstate=$(qstat -f -q all.q 2>/dev/null | awk -v q="all.q@$HOST" '$1 == q { print ($6 == "" ? "ok" : $6) }')
  [ "$qstate" = ok ]
}
wait_for "$TIMEOUT" queue_ready || die "queue all.q@$HOST not ready after ${TIMEOUT}s (states '$qstate')"
T_READY=$(since "$T0")

# --- smoke job: qmaster, scheduler, execd and shepherd work together -----------------------------------
smoke=""
if [ "$SMOKE" = 1 ]; then
  out=$(timeout "$TIMEOUT" qsub -sync y -N batchplan-smoke -b y -o /dev/null -j y /bin/true 2>&1) \
    || die "smoke job (qsub -sync y /bin/true) failed: $out"
  smoke=", smoke job ok after $(since "$T0")"
fi

[ ${#did[@]} -gt 0 ] || did=("already running")
echo "sge up: all.q@$HOST ($SLOTS slots, pe smp): $(join "${did[@]}"); queue ready after $T_READY$smoke"
