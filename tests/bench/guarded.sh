#!/bin/bash
# Runs one of the bench's Python scripts so that nothing it started outlives it.
# Usage: tests/bench/guarded.sh SCRIPT.py [ARGS...]   (run.sh, soak.sh, connections.sh, scale.sh and syscalls.sh call this)
# The script records the process group of every server it starts in $BENCH_PGID_FILE and
# kills them itself; this catches the case where it is killed too hard to do so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
script=$1
shift
export BENCH_PGID_FILE=$(mktemp /tmp/clusterscope-bench-pgids.XXXXXX)
cleanup() {
    while read -r pgid; do
        kill -KILL -- "-$pgid" 2>/dev/null
    done < "$BENCH_PGID_FILE"
    rm -f "$BENCH_PGID_FILE"
    # The script's cpuacct cgroups (run.py's CPU yardstick), empty once their processes died.
    for dir in /sys/fs/cgroup/cpuacct/clusterscope-bench-"$py"/*/ /sys/fs/cgroup/cpuacct/clusterscope-bench-"$py"/; do
        [ -d "$dir" ] && rmdir "$dir" 2>/dev/null
    done
    return 0
}
py=
trap cleanup EXIT
# Python runs in the background so a signal to this script reaches it at once (bash would
# otherwise hold a trap until the foreground command ends); it stops its servers on SIGTERM.
python3 "$here/$script" "$@" &
py=$!
trap 'kill -TERM $py 2>/dev/null' INT TERM
status=0
while kill -0 "$py" 2>/dev/null; do
    wait "$py"
    status=$?
done
exit $status
