#!/bin/bash
# Many workers: start time, the master at rest, hand-off throughput at 2, 16, 64, 256 workers.
# Usage: tests/bench/scale.sh [--counts 2,16,64,256] [--reps N] [--seconds S] [--idle S] [--no-pin]   (needs wrk)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_PGID_FILE=$(mktemp /tmp/clusterscope-bench-pgids.XXXXXX)
cleanup() {
    while read -r pgid; do
        kill -KILL -- "-$pgid" 2>/dev/null
    done < "$BENCH_PGID_FILE"
    rm -f "$BENCH_PGID_FILE"
}
trap cleanup EXIT
python3 "$here/scale.py" "$@" &
py=$!
trap 'kill -TERM $py 2>/dev/null' INT TERM
status=0
while kill -0 "$py" 2>/dev/null; do
    wait "$py"
    status=$?
done
exit $status
