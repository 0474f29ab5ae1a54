#!/bin/bash
# Syscalls per request/connection (strace -c) and hot spots (perf) of a round-robin cluster.
# Usage: tests/bench/profile.sh [policy] [seconds]   (needs strace, perf, wrk)
# Prints, for keep-alive and for Connection: close load, the syscall table of the master and
# of worker 1 with the number of requests wrk completed meanwhile, then perf's top symbols,
# then the master's time by system call with a new connection per request.
set -u
policy=${1:-round-robin}
secs=${2:-3}
build=${CLUSTERSCOPE_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
tmp=$(mktemp -d /tmp/clusterscope-profile.XXXXXX)
cp "$build/app/clusterscope" "$build/app/clusterscope-worker" "$tmp/"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

setsid taskset -c 0 "$tmp/clusterscope" --headless --port 0 --json --workers 2 --policy "$policy" \
    >"$tmp/out" 2>"$tmp/err" &
pids+=($!)
master=$!
for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["port"])')
workers=$(cat /proc/$master/task/*/children)
worker1=${workers%% *}
echo "policy $policy port $port master $master workers $workers"

load() { # $1 = ka | close
    local h=()
    [ "$1" = close ] && h=(-H 'Connection: close')
    taskset -c 1 wrk -t1 -c50 -d${secs}s "${h[@]}" "http://127.0.0.1:$port/" | awk '/requests in/ {print $1}'
}

for mode in ka close; do
    for who in master worker; do
        pid=$master; [ $who = worker ] && pid=$worker1
        strace -c -f -p "$pid" -o "$tmp/strace" &
        st=$!
        sleep 0.3
        n=$(load $mode)
        kill -INT $st; wait $st 2>/dev/null
        echo "== $mode, $who (pid $pid): $n requests by wrk in ${secs}s (under strace)"
        head -14 "$tmp/strace"
    done
done

if command -v perf >/dev/null; then
    for mode in ka close; do
        perf record -q -g -o "$tmp/perf.data" -p "$master,$(echo $workers | tr ' ' ,)" -- sleep "$secs" >/dev/null 2>&1 &
        pf=$!
        load $mode >/dev/null
        wait $pf
        echo "== perf, $mode: top symbols over master + workers"
        perf report -q -i "$tmp/perf.data" --no-children --sort comm,sym --stdio 2>/dev/null \
            | grep -v '^$' | grep -v '^ *|' | grep -v '^ *-' | head -25
    done
    # Where the master's own time goes per new connection (round-robin, least-connections):
    # each system call with all it runs below it, the switches to and from it included.
    perf record -q -g -o "$tmp/perf.master" -p "$master" -- sleep "$secs" >/dev/null 2>&1 &
    pf=$!
    load close >/dev/null
    wait $pf
    echo "== perf, close: the master's samples by system call (with what runs below it) and in task switches"
    perf report -q -i "$tmp/perf.master" --children --sort sym --stdio 2>/dev/null \
        | grep -E '^ +[0-9]' | grep -E '\[k\] (__x64_sys_[a-z0-9_]+|__sys_sendmsg|finish_task_switch[.a-z0-9]*|schedule)$' | head -12
fi
