#!/usr/bin/env bash
# Takes resources/screenshots/clusterscope.png from the real window under Xvfb: starts a
# 2-worker cluster on a free port with chaos on, drives load at it, kills one worker and
# crashes another, waits for the charts to show it, captures the screen, cleans up.
# Builds nothing. Usage: tests/ui/screenshot.sh BUILD_DIR [OUTPUT.png]
set -euo pipefail

build=$(cd "${1:?usage: $0 BUILD_DIR [OUTPUT.png]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../../resources/screenshots/clusterscope.png}
app=$build/app/clusterscope
load=$build/app/clusterscope-load
[[ -x $app ]] || { echo "no $app: build the clusterscope target first" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing: apt-get install xvfb" >&2; exit 1; }
command -v import >/dev/null || { echo "import is missing: apt-get install imagemagick" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Fresh settings, so the shot does not depend on whoever ran the window before.
export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export CS_APP=$app CS_LOAD=$load CS_PORT=$port CS_OUT=$work/shot.png

xvfb-run -a -s '-screen 0 1600x1000x24' bash -c '
    set -u
    "$CS_APP" --start --workers 2 --port "$CS_PORT" --chaos >"$XDG_RUNTIME_DIR/app.log" 2>&1 &
    app_pid=$!
    load_pid=
    cleanup() {
        [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null
        kill "$app_pid" 2>/dev/null
        # The workers die with the master (PR_SET_PDEATHSIG); wait for the window to go.
        for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$app_pid" 2>/dev/null || true
    }
    trap cleanup EXIT
    ready=
    for _ in $(seq 100); do
        if curl -fs --max-time 1 "http://127.0.0.1:$CS_PORT/" >/dev/null; then ready=1; break; fi
        sleep 0.1
    done
    [[ -n $ready ]] || { echo "the cluster did not come up" >&2; cat "$XDG_RUNTIME_DIR/app.log" >&2; exit 1; }
    if [[ -x $CS_LOAD ]]; then
        "$CS_LOAD" --port "$CS_PORT" --connections 8 --duration 30 --new-connection --path "/cpu?ms=1" >/dev/null 2>&1 &
        load_pid=$!
    else
        # No load generator built: a modest curl loop instead.
        ( end=$((SECONDS + 30)); while (( SECONDS < end )); do curl -s --max-time 1 "http://127.0.0.1:$CS_PORT/" >/dev/null; done ) &
        load_pid=$!
    fi
    sleep 8
    # An outside SIGKILL (a crash as far as the master knows) on slot 1 ...
    victim=$(pgrep -P "$app_pid" -f -- "--slot 1( |$)" | head -n1 || true)
    [[ -n $victim ]] && kill -9 "$victim"
    sleep 5
    # ... and a chaos request that makes whichever worker gets it abort.
    curl -s --max-time 1 "http://127.0.0.1:$CS_PORT/crash" >/dev/null || true
    sleep 7
    import -window root "$CS_OUT"
'
mkdir -p "$(dirname "$out")"
mv "$work/shot.png" "$out"
echo "wrote $out"
