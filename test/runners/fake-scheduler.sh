#!/usr/bin/env bash
# A stand-in for every scheduler command (linked under each name) for test/runners/submit-paths.test.ts:
# records each call (argv, the partition offset in its environment, bsub's script on standard input)
# in $FAKE_LOG and answers as the real command does, by FAKE_STYLE: the job id formats of
# fixtures/<scheduler>/ and the manuals. Queries find no job (nothing is queued); the configuration
# cannot be read.
# Submissions' ids count up from 100; FAKE_FAIL_AT=k makes the k-th submission fail as a scheduler
# does (a message on stderr, exit 1).
name=$(basename "$0")
{
  echo "call $name offset=${BATCHPLAN_ARRAY_OFFSET-unset}"
  for a in "$@"; do echo "  $a"; done
  if [ "$name" = bsub ]; then echo "  stdin: $(grep -m1 '^#BSUB -J' || true)"; fi
} >> "$FAKE_LOG"
# Queries answer as for a job the scheduler does not know (fixtures/slurm/scontrol-show-job-unknown.*,
# fixtures/pbs/wrapper-qstat-f-unknown.*; Grid Engine's qstat of all jobs lists none).
case $name in
  scancel | qdel | bkill) exit 0 ;;
  scontrol) [ "$1" = show ] && [ "$2" = job ] && echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1 ;;
  qstat) [ "$1" = -f ] && exit 153; exit 0 ;;
  qconf) exit 1 ;;
esac
[ "$name" = flux ] && [ "$1" = cancel ] && exit 0
k=$(( $(cat "$FAKE_LOG.count" 2>/dev/null || echo 0) + 1 ))
echo "$k" > "$FAKE_LOG.count"
n=$(( k + 99 ))
if [ "$k" = "${FAKE_FAIL_AT:-0}" ]; then echo "$name: error: Batch job submission failed: Invalid account" >&2; exit 1; fi
case $FAKE_STYLE in
  slurm) echo "$n;cluster1" ;;
  pbs) if [[ " $* " == *" -J "* || " $* " == *" -t "* ]]; then echo "$n[].pbs01"; else echo "$n.pbs01"; fi ;;
  pbs-bare) echo "$n" ;;
  sge) echo "$n.1-4:1" ;;
  lsf) echo "Job <$n> is submitted to default queue <normal>." ;;
  flux)
    cc=$(printf '%s\n' "$@" | sed -n 's/^--cc=//p')
    for ((i = ${cc%-*}; i <= ${cc#*-}; i++)); do echo "ƒ${n}x$i"; done ;;
esac
