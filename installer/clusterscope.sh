#!/usr/bin/env bash
# The two quick-start commands:
#   installer/clusterscope.sh run [flags]   install what is missing, build, run the window
#                                          (or --headless where there is no display)
#   installer/clusterscope.sh test          install what is missing, build, run the whole suite
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CLUSTERSCOPE_BUILD_DIR:-$root/build}"
command="${1:-run}"
shift || true

"$here/bootstrap.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

case "$command" in
run)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        exec "$build/app/clusterscope" "$@"
    fi
    echo "clusterscope: no display found: running headless (Ctrl-C stops)" >&2
    exec "$build/app/clusterscope" --headless "$@"
    ;;
test)
    cd "$build"
    exec ctest --output-on-failure --timeout 600 "$@"
    ;;
*)
    echo "usage: installer/clusterscope.sh run [clusterscope flags] | test [ctest flags]" >&2
    exit 2
    ;;
esac
