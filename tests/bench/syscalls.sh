#!/bin/bash
# Syscalls per request and per connection: Clusterscope's policies and nginx, side by side.
# Usage: tests/bench/syscalls.sh [--seconds S] [--no-pin]   (needs strace, wrk, nginx)
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
python3 "$here/syscalls.py" "$@" &
py=$!
trap 'kill -TERM $py 2>/dev/null' INT TERM
status=0
while kill -0 "$py" 2>/dev/null; do
    wait "$py"
    status=$?
done
exit $status
