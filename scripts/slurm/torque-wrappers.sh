#!/usr/bin/env bash
# Make Slurm's Torque-compatible wrappers (qsub, qstat, qdel, qalter, qhold, qrls, pbsnodes ...) available
# WITHOUT installing the slurm-wlm-torque package: it owns /usr/bin/qsub, like gridengine-client, so
# installing either removes the other. Instead the .deb is unpacked into its own directory.
# Prints that directory (the one holding qsub) on stdout; everything else goes to stderr. Idempotent.
#
#   QSUB_DIR=$(bash scripts/slurm/torque-wrappers.sh) && "$QSUB_DIR/qsub" job.pbs
#
# Needs the Slurm clients (scripts/slurm/up.sh installs them). Knob:
#   BATCHPLAN_TORQUE_DIR  where to unpack (default /opt/batchplan/slurm-torque; wrappers in <dir>/usr/bin)
set -euo pipefail

# shellcheck source=scripts/slurm/lib.sh
. "$(dirname "$0")/lib.sh"
as_root BATCHPLAN_TORQUE_DIR "$@"

DIR=${BATCHPLAN_TORQUE_DIR:-/opt/batchplan/slurm-torque}
BIN=$DIR/usr/bin
die() {
  echo "torque-wrappers.sh: $*" >&2
  exit 1
}

command -v sbatch >/dev/null || die "the Slurm clients are not installed; run scripts/slurm/up.sh first"
# The wrappers are Perl scripts built on the Slurm Perl API, whose version must match the installed
# Slurm exactly: take everything at the version of the installed slurm-client.
VER=$(dpkg-query -W -f='${Version}' slurm-client 2>/dev/null) || die "package slurm-client is not installed"

installed() { # package [version]
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ] || return 1
  [ -z "${2:-}" ] || [ "$(dpkg-query -W -f='${Version}' "$1")" = "$2" ]
}
have_perl_pkgs() { installed libslurm-perl "$VER" && installed libslurmdb-perl "$VER" && installed libswitch-perl; }
if [ -x "$BIN/qsub" ] && [ "$(cat "$DIR/.version" 2>/dev/null)" = "$VER" ] && have_perl_pkgs; then
  echo "$BIN"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
apt_quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2 && die "failed: $*"; }; }

if ! have_perl_pkgs; then
  apt_quiet apt-get update -qq
  apt_quiet apt-get install -y -q libslurm-perl="$VER" libslurmdb-perl="$VER" libswitch-perl
fi
# apt-get download writes into the current directory and needs no lock; retry once after an update
# in case the package lists are missing or stale.
(cd "$tmp" && apt-get download "slurm-wlm-torque=$VER" >"$log" 2>&1) \
  || { apt_quiet apt-get update -qq && (cd "$tmp" && apt_quiet apt-get download "slurm-wlm-torque=$VER"); }
rm -rf "$DIR"
mkdir -p "$DIR"
dpkg-deb -x "$tmp"/slurm-wlm-torque_*.deb "$DIR"
# The wrappers run sbatch, squeue ... from their own directory (Perl FindBin), not from PATH.
for b in sbatch salloc srun scontrol squeue scancel sinfo; do
  ln -sf "$(command -v $b)" "$BIN/$b"
done
echo "$VER" >"$DIR/.version"
echo "torque-wrappers.sh: unpacked slurm-wlm-torque $VER into $DIR" >&2
echo "$BIN"
