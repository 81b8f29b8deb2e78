#!/usr/bin/env bash
# The README's walkthrough on the example sweep, in a scratch directory (npm run demo).
set -uo pipefail
cd "$(dirname "$0")/.."
batchplan() { node bin/batchplan.js "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plan="$work/sweep.plan"

step() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\n\033[1m$ %s\033[0m\n' "$*"; else printf '\n$ %s\n' "$*"; fi; }
step batchplan plan fixtures/examples/sweep.yaml -o "$plan"
batchplan plan fixtures/examples/sweep.yaml -o "$plan"
step "batchplan generate-script $plan 4 --runner sequential | bash"
batchplan generate-script "$plan" 4 --runner sequential | bash
if command -v parallel >/dev/null; then
  step "batchplan generate-script $plan 4 --runner gnu-parallel | bash"
  batchplan generate-script "$plan" 4 --runner gnu-parallel | bash
fi
step batchplan status "$plan"
batchplan status "$plan"
step batchplan tasks "$plan" --state failed --tail 1
batchplan tasks "$plan" --state failed --tail 1
step batchplan logs "$plan" extract.17
batchplan logs "$plan" extract.17
step "batchplan run fixtures/examples/sweep.yaml -o $work/run.plan"
batchplan run fixtures/examples/sweep.yaml -o "$work/run.plan"
echo
echo "(The two failures are on purpose: see fixtures/examples/sweep.yaml.)"
exit 0
