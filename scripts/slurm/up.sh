#!/usr/bin/env bash
# Install (if needed), configure and start a single-node Slurm 22.05 cluster for the test suite and CI,
# on Debian 12 without systemd. Exits 0 only after a real job has run to completion.
#
#   munged     as user munge   pid /run/munge/munged.pid   socket /run/munge/munge.socket.2
#   slurmctld  as root         pid /run/slurmctld.pid      log /var/log/slurm/slurmctld.log
#   slurmd     as root         pid /run/slurmd.pid         log /var/log/slurm/slurmd.log
#   config     /etc/slurm/slurm.conf (where the Debian binaries look), state /var/spool/slurm{ctld,d}
#   job log    /var/log/slurm/jobcomp.log (one line per finished job/array task, with ExitCode=)
#
# Idempotent: when the daemons already run with the same config it only checks them (node ready +
# smoke job). When the config changed (e.g. another BATCHPLAN_SLURM_CPUS) it rewrites it and restarts
# slurmctld and slurmd, because `scontrol reconfigure` does not apply node CPU changes.
# Stop with scripts/slurm/down.sh [--purge].
#
# Environment knobs:
#   BATCHPLAN_SLURM_CPUS         CPUs the node advertises (default 16). May exceed the real count
#                                (SlurmdParameters=config_overrides); more CPUs = more array tasks at once.
#   BATCHPLAN_SLURM_KILLWAIT     seconds from SIGTERM to SIGKILL on time limit / scancel (default 5; Slurm: 30)
#   BATCHPLAN_SLURM_MIN_JOB_AGE  seconds a finished job stays visible to squeue -t all / scontrol (default 300)
#   BATCHPLAN_SLURM_SMOKE        1 (default) = finish by running `sbatch --wrap true` to completion; 0 = skip
#   BATCHPLAN_SLURM_TIMEOUT      seconds to wait for munge, the node and the smoke job (default 60)
set -euo pipefail

# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "$0")/lib.sh"
as_root BATCHPLAN_SLURM_CPUS,BATCHPLAN_SLURM_KILLWAIT,BATCHPLAN_SLURM_MIN_JOB_AGE,BATCHPLAN_SLURM_SMOKE,BATCHPLAN_SLURM_TIMEOUT "$@"

CPUS=${BATCHPLAN_SLURM_CPUS:-16}
KILLWAIT=${BATCHPLAN_SLURM_KILLWAIT:-5}
MIN_JOB_AGE=${BATCHPLAN_SLURM_MIN_JOB_AGE:-300}
SMOKE=${BATCHPLAN_SLURM_SMOKE:-1}
TIMEOUT=${BATCHPLAN_SLURM_TIMEOUT:-60}
for v in CPUS KILLWAIT MIN_JOB_AGE TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "up.sh: BATCHPLAN_SLURM_$v must be a whole number, got '${!v}'" >&2; exit 2; }
done

T0=$(now_us)
did=() # what this run did, for the one-line summary
die() {
  echo "up.sh: $*" >&2
  exit 1
}

# --- packages ---------------------------------------------------------------------------------
# slurm-wlm pulls slurmctld, slurmd, the clients and slurm-wlm-basic-plugins (which ships spank_pbs.so).
# No service gets started by the install (no systemd; policy-rc.d forbids it): we start them below.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
  || ! command -v munged >/dev/null; then
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only now that something must be installed (~1.5 s; the lists may be stale or absent)
  if ! { apt-get update -qq && apt-get install -y -q slurm-wlm munge; } >"$log" 2>&1; then
    cat "$log" >&2; die "apt-get install slurm-wlm munge failed"
  fi
  rm -f "$log"
  did+=("installed slurm-wlm munge")
fi

# --- munge ------------------------------------------------------------------------------------
munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
  # the munge postinst creates the key; recreate it only if it went missing
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  # munged refuses to start unless these belong to it; /run is a tmpfs that systemd would normally prepare
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  if ! running munged /run/munge/munged.pid; then
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock   # left behind by a killed munged
    runuser -u munge -- /usr/sbin/munged                               # daemonizes
    did+=("started munged")
  fi
  wait_for "$TIMEOUT" munge_ok || die "munge does not answer (munge -n | unmunge); see /var/log/munge/munged.log"
fi

# --- configuration ----------------------------------------------------------------------------
NODE=$(hostname -s)
# slurmd -C reports what the machine has. Configure a bit less memory so the node never registers with
# less than configured (Slurm would drain it).
MEM=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
[ -n "$MEM" ] || die "could not read RealMemory from 'slurmd -C'"
MEM=$((MEM > 1024 ? MEM - 512 : MEM))

conf=$(
  cat <<EOF
# Single-node Slurm for the batchplan tests. Written by scripts/slurm/up.sh; edits are overwritten.
ClusterName=batchplan
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# No cgroups: linuxproc/none need no cgroup.conf and work in containers.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Schedule at once instead of every few seconds: a 100-task array of 'true' finishes in 2.4-5.1 s
# instead of 134 s with Slurm's defaults (with CPUs=16 below); a single job waits <1 s instead of ~3 s.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,bf_interval=1
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No slurmdbd: sacct exits 1 ("Slurm accounting storage is disabled"); outcomes come from
# squeue -t all, scontrol show job, or the jobcomp log below.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
# Arrays of thousands of tasks (Slurm's default MaxArraySize=1001 allows indices 0-1000 only), and room
# for every task record of several such arrays kept for MinJobAge (default MaxJobCount=10000).
MaxArraySize=100001
MaxJobCount=200000
# Finished jobs stay visible to 'squeue -t all' and 'scontrol show job' this long.
MinJobAge=${MIN_JOB_AGE}
# SIGKILL this long after SIGTERM (time limit, scancel); Slurm's default 30 s slows timeout tests.
KillWait=${KILLWAIT}
ReturnToService=2
# Let the node advertise more CPUs than the machine has, so more array tasks run at once.
SlurmdParameters=config_overrides
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} Boards=1 SocketsPerBoard=1 CoresPerSocket=${CPUS} ThreadsPerCore=1 RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)

# spank_pbs gives every job PBS_ARRAY_INDEX, PBS_JOBID, PBS_O_WORKDIR ..., so '#PBS -J' scripts submitted
# with sbatch work. It ships in slurm-wlm-basic-plugins; ask dpkg where (the multiarch dir varies).
SPANK_PBS=$(dpkg -L slurm-wlm-basic-plugins 2>/dev/null | grep '/spank_pbs\.so$' | head -n 1 || true)
if [ -z "$SPANK_PBS" ] || [ ! -f "$SPANK_PBS" ]; then
  die "spank_pbs.so not found (package slurm-wlm-basic-plugins)"
fi

mkdir -p /etc/slurm/plugstack.conf.d /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf_changed=0
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$conf" ]; then
  printf '%s\n' "$conf" >/etc/slurm/slurm.conf
  conf_changed=1
  did+=("wrote slurm.conf")
fi
# Debian ships /etc/slurm/plugstack.conf including plugstack.conf.d/*.conf; recreate it if absent.
[ -f /etc/slurm/plugstack.conf ] || echo 'include /etc/slurm/plugstack.conf.d/*.conf' >/etc/slurm/plugstack.conf
# Read when each job starts: no daemon restart needed.
pbs_line="optional $SPANK_PBS"
[ "$(cat /etc/slurm/plugstack.conf.d/pbs.conf 2>/dev/null)" = "$pbs_line" ] \
  || echo "$pbs_line" >/etc/slurm/plugstack.conf.d/pbs.conf

# --- daemons ----------------------------------------------------------------------------------
if [ $conf_changed = 1 ]; then
  # A running slurmctld/slurmd still uses the old config: restart them (jobs survive in the state dir).
  for d in slurmd slurmctld; do
    if running $d /run/$d.pid; then
      stop_daemon $d /run/$d.pid || die "$d did not stop"
      did+=("stopped $d for the new config")
    fi
  done
fi
start_daemon() { # name: both daemonize and write their PID file; on failure the reason is in the log
  if ! "$1"; then
    tail -n 20 "/var/log/slurm/$1.log" >&2 || true
    die "$1 failed to start"
  fi
  did+=("started $1")
}
running slurmctld /run/slurmctld.pid || start_daemon slurmctld
running slurmd /run/slurmd.pid || start_daemon slurmd

# The node is usable once it is idle (or busy with jobs). After a slurmctld restart it is 'unk' for a
# few seconds until slurmd registers again. A node left down/drained by an earlier run is resumed.
node_state=""
node_ready() {
  node_state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  case "$node_state" in
    idle | mix | alloc) return 0 ;;
    down* | drain* | drng*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
  esac
  return 1
}
if ! wait_for "$TIMEOUT" node_ready; then
  tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  die "node $NODE not ready after ${TIMEOUT}s (state '${node_state}')"
fi
T_READY=$(since "$T0")

# --- smoke job: proves munge, slurmctld, slurmd and slurmstepd work together ------------------------
# Polled every 0.1 s rather than `sbatch --wait`, which polls every 2 s (the job itself takes ~0.5 s).
smoke=""
if [ "$SMOKE" = 1 ]; then
  smoke_state=""
  smoke_done() {
    smoke_state=$(squeue -h -t all -j "$jid" -o %T 2>/dev/null || true)
    case "$smoke_state" in PENDING | CONFIGURING | RUNNING | COMPLETING | "") return 1 ;; esac
  }
  jid=$(sbatch --parsable -J batchplan-smoke -o /dev/null --wrap true) || die "sbatch of the smoke job failed"
  if ! wait_for "$TIMEOUT" smoke_done || [ "$smoke_state" != COMPLETED ]; then
    scancel "$jid" >/dev/null 2>&1 || true
    scontrol show job "$jid" >&2 || true
    tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    die "smoke job $jid (sbatch --wrap true) ended as '${smoke_state:-?}' or took over ${TIMEOUT}s"
  fi
  smoke=", smoke job $jid ok after $(since "$T0")"
fi

[ ${#did[@]} -gt 0 ] || did=("already running")
echo "slurm up: node $NODE ($CPUS CPUs, partition debug): $(join "${did[@]}"); node ready after $T_READY$smoke"
