#!/usr/bin/env bash
# Stop the single-node Slurm cluster started by scripts/slurm/up.sh: cancel every job, then stop slurmd,
# slurmctld and munged through their PID files (never by name: only the processes up.sh started).
#   --purge  also empty the Slurm state, spool and logs, so the next up.sh starts from scratch and job
#            ids restart at 1.
# Exit status 1 if a daemon could not be stopped (nothing is purged then).
set -euo pipefail

# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "$0")/lib.sh"
as_root "" "$@"

purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac
T0=$(now_us)
did=()

# Cancel jobs while slurmctld is still there to do it, and wait for their processes (slurmstepd and the
# job scripts, children of slurmd) to end before slurmd goes. %F is the array job id (the job id for
# plain jobs), so one id cancels a whole array. KillWait (5 s) bounds how long a job ignoring SIGTERM lasts.
if running slurmctld /run/slurmctld.pid; then
  mapfile -t ids < <(squeue -h -o %F 2>/dev/null | sort -u)
  if [ ${#ids[@]} -gt 0 ]; then
    scancel "${ids[@]}" 2>/dev/null || true
    queue_empty() { [ -z "$(squeue -h 2>/dev/null)" ]; }
    wait_for 60 queue_empty || echo "down.sh: jobs still in the queue after 60 s; stopping anyway" >&2
    did+=("cancelled ${#ids[@]} job(s)")
  fi
fi

failed=0
for d in slurmd slurmctld munged; do
  pidfile=/run/$d.pid
  [ $d = munged ] && pidfile=/run/munge/munged.pid
  if running $d $pidfile; then
    if stop_daemon $d $pidfile; then
      did+=("stopped $d")
      rm -f $pidfile
    else
      echo "down.sh: $d could not be stopped" >&2
      failed=1
    fi
  fi
done
[ $failed = 0 ] || exit 1

if [ $purge = 1 ]; then
  rm -rf /var/spool/slurmctld/* /var/spool/slurmd/* /var/log/slurm/*.log
  did+=("purged state and logs")
fi
[ ${#did[@]} -gt 0 ] || did=("nothing was running")
echo "slurm down: $(join "${did[@]}"); $(since "$T0")"
