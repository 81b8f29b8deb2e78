#!/usr/bin/env bash
# Install the engines the tests run for real (Debian packages). Idempotent; needs root or sudo.
set -euo pipefail
need=()
command -v parallel >/dev/null 2>&1 || need+=(parallel)
command -v bash >/dev/null 2>&1 || need+=(bash)
# Headless Chromium for the report page's browser test (test/report), driven by playwright-core.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# sshd on loopback addresses for test/ssh (scripts/sshd/up.sh), and the system ssh for --ssh openssh
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
# jq: docs/remote.md's quick start reads `remote setup --json` with it (test/ssh/doc-quick-start), as
# the docs/qdo.md test reads the plan's journals
command -v jq >/dev/null 2>&1 || need+=(jq)
# A quota-limited btrfs subvolume on a loop device, for the EDQUOT fault test (test/faults/quota)
command -v mkfs.btrfs >/dev/null 2>&1 || need+=(btrfs-progs)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "engines: $(parallel --version | head -n 1), $(bash --version | head -n 1), $(chromium --version 2>/dev/null), $(ssh -V 2>&1)"
