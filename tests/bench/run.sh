#!/bin/bash
# Clusterscope against Node.js cluster and nginx, measured side by side in one run.
# Usage: tests/bench/run.sh [--quick] [--reps N] [--seconds S] [--no-pin] [--json FILE]
# Needs wrk, node, nginx (Debian packages) and a build in ../../build (or CLUSTERSCOPE_BUILD).
set -u
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_PGID_FILE=$(mktemp /tmp/clusterscope-bench-pgids.XXXXXX)
# run.py kills its servers itself; this catches the case where it is killed too hard to do so.
cleanup() {
    while read -r pgid; do
        kill -KILL -- "-$pgid" 2>/dev/null
    done < "$BENCH_PGID_FILE"
    rm -f "$BENCH_PGID_FILE"
}
trap cleanup EXIT
# Python runs in the background so a signal to this script reaches it at once (bash would
# otherwise hold a trap until the foreground command ends); it stops its servers on SIGTERM.
python3 "$here/run.py" "$@" &
py=$!
trap 'kill -TERM $py 2>/dev/null' INT TERM
status=0
while kill -0 "$py" 2>/dev/null; do
    wait "$py"
    status=$?
done
exit $status
