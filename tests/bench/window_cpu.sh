#!/usr/bin/env bash
# The window's own CPU while it charts (issue 3: with 2 workers at most 5 % of one core, with
# 16 workers under load at most 10 %). Runs the real window under Xvfb with --start, first
# with 2 workers then with 16; for each, measures a quiet stretch and a stretch under load
# from clusterscope-load, reading utime+stime of the window process and of each of its
# threads from /proc. The master's event loop is a thread of the same process, so it is
# reported apart: "window" is the GUI thread plus Qt's helper threads, "master" the other
# threads (the master's loop; it accepts and hands over connections under round-robin).
# Not run by ctest. Usage: tests/bench/window_cpu.sh [BUILD_DIR] (default: build)
#   LOAD_SECONDS=15 QUIET_SECONDS=8 LOAD_FLAGS="--keep-alive" POLICY=round-robin WORKER_COUNTS="2 16"
#   (WORKER_COUNTS="64": issue 15, the window at 64 workers while charting, at most 10 %)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
app=$build/app/clusterscope
load=$build/app/clusterscope-load
for program in "$app" "$load"; do
    [[ -x $program ]] || { echo "no $program: build the clusterscope and clusterscope-load targets first" >&2; exit 1; }
done
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing: apt-get install xvfb" >&2; exit 1; }
load_seconds=${LOAD_SECONDS:-15}
quiet_seconds=${QUIET_SECONDS:-8}
load_flags=${LOAD_FLAGS:---keep-alive}
policy=${POLICY:-round-robin}

work=$(mktemp -d)
app_pid=
load_pid=
xvfb_pid=
cleanup() {
    [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null || true
    if [[ -n $app_pid ]]; then
        # SIGTERM closes the window like its close button: the cluster stops gracefully.
        kill "$app_pid" 2>/dev/null || true
        for _ in $(seq 80); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$app_pid" 2>/dev/null || true
    fi
    # Ending xvfb-run's command lets xvfb-run stop its Xvfb itself.
    [[ -s $work/holder ]] && kill "$(cat "$work/holder")" 2>/dev/null || true
    [[ -n $xvfb_pid ]] && wait "$xvfb_pid" 2>/dev/null || true
    app_pid= load_pid= xvfb_pid=
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Fresh settings, so no saved window state or launcher field changes what is measured.
export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# CPU seconds of the process and of its threads, from /proc (fields after the comm, which
# may hold spaces and parentheses: split after the last ')').
cpu_sample() {
    python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
tick = os.sysconf("SC_CLK_TCK")
def cpu(path):
    with open(path) as f:
        text = f.read()
    rest = text[text.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / tick  # utime, stime
out = [f"process {cpu(f'/proc/{pid}/stat'):.4f}"]
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            comm = f.read().strip().replace(" ", "_")
        out.append(f"{tid} {comm} {cpu(f'/proc/{pid}/task/{tid}/stat'):.4f}")
    except OSError:
        pass  # a thread that ended between listdir and open
print("\n".join(out))
PY
}

# Prints "process gui master helpers" as % of one core between two samples.
cpu_delta() { # before-file after-file elapsed pid
    python3 - "$@" <<'PY'
import sys
before, after, elapsed, pid = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
def read(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        if parts[0] == "process":
            rows["process"] = ("", float(parts[1]))
        else:
            rows[parts[0]] = (parts[1], float(parts[2]))
    return rows
b, a = read(before), read(after)
pct = lambda s: 100.0 * s / elapsed
process = a["process"][1] - b["process"][1]
gui = master = helpers = 0.0
for tid, (comm, t) in a.items():
    if tid == "process":
        continue
    d = t - b.get(tid, (comm, 0.0))[1]
    if tid == pid:
        gui += d
    # Qt names its threads (QXcbEventQueue, QDBusConnection, Thread (pooled), ...); the
    # master's loop is a plain std::thread and keeps the program's name.
    elif comm == a[pid][0]:
        master += d
    else:
        helpers += d
print(f"{pct(process):.2f} {pct(gui):.2f} {pct(master):.2f} {pct(helpers):.2f}")
PY
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

measure() { # seconds label
    local seconds=$1 label=$2 t0 t1
    cpu_sample "$app_pid" >"$work/before"
    t0=$(date +%s.%N)
    sleep "$seconds"
    cpu_sample "$app_pid" >"$work/after"
    t1=$(date +%s.%N)
    read -r process gui master helpers < <(cpu_delta "$work/before" "$work/after" "$(echo "$t1 - $t0" | bc -l)" "$app_pid")
    printf '%-28s process %6.2f %%   window (GUI %5.2f + Qt threads %5.2f) %6.2f %%   master %6.2f %%\n' \
        "$label" "$process" "$gui" "$helpers" "$(echo "$gui + $helpers" | bc -l)" "$master"
    last_window=$(echo "$gui + $helpers" | bc -l)
}

verdict() { # value target what
    if (($(echo "$1 <= $2" | bc -l))); then
        printf '  -> %s: %.2f %% of one core <= %s %%: OK\n' "$3" "$1" "$2"
    else
        printf '  -> %s: %.2f %% of one core > %s %%: OVER TARGET\n' "$3" "$1" "$2"
        failed=1
    fi
}

# Xvfb once for both runs, as a real display (xvfb-run picks a free display number).
xvfb-run -a -s '-screen 0 1600x1000x24' bash -c 'echo $$ >"$2"; echo "$DISPLAY $XAUTHORITY" >"$1"; exec sleep 100000' _ "$work/display" "$work/holder" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || { echo "Xvfb did not start" >&2; exit 1; }
read -r DISPLAY XAUTHORITY <"$work/display"
export DISPLAY XAUTHORITY

failed=0
echo "window CPU under Xvfb ($(nproc) cores, policy $policy, load: clusterscope-load $load_flags)"
for workers in ${WORKER_COUNTS:-2 16}; do
    port=$(free_port)
    "$app" --start --workers "$workers" --port "$port" --policy "$policy" >"$work/app-$workers.log" 2>&1 &
    app_pid=$!
    ready=
    for _ in $(seq 150); do
        if curl -fs --max-time 1 "http://127.0.0.1:$port/" >/dev/null 2>&1; then ready=1; break; fi
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $ready ]] || { echo "the window's cluster did not come up" >&2; cat "$work/app-$workers.log" >&2; exit 1; }
    sleep 3 # every worker online, the window settled
    measure "$quiet_seconds" "$workers workers, no load"
    quiet=$last_window
    "$load" --port "$port" --connections "$((workers > 8 ? workers : 8))" --duration "$((load_seconds + 2))" \
        $load_flags >"$work/load-$workers.txt" 2>&1 &
    load_pid=$!
    sleep 1
    measure "$load_seconds" "$workers workers, under load"
    loaded=$last_window
    wait "$load_pid" || true
    load_pid=
    grep -m1 '^Throughput' "$work/load-$workers.txt" | sed 's/^/  load: /' || true
    if ((workers == 2)); then
        verdict "$(echo "if ($quiet > $loaded) $quiet else $loaded" | bc -l)" 5 "2 workers, window while charting"
    else
        verdict "$loaded" 10 "$workers workers under load, window"
    fi
    kill "$app_pid" 2>/dev/null || true
    for _ in $(seq 80); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=
done
exit "$failed"
