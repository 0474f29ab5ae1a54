#!/usr/bin/env bash
# The two quick-start commands:
#   installer/clusterscope.sh run [flags]   install what is missing to build and run (bootstrap.sh
#                                          run), build, run the window (or --headless where there
#                                          is no display)
#   installer/clusterscope.sh test          install what is missing for the tests too (bootstrap.sh
#                                          test), build, run the whole suite: ctest, then ctest
#                                          again on an ASan+UBSan build, then each libFuzzer
#                                          target for a bounded time
# bootstrap.sh stops, naming them, rather than let apt remove packages (libboost-dev, say):
# CLUSTERSCOPE_ALLOW_REMOVE=1 lets it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${CLUSTERSCOPE_BUILD_DIR:-$root/build}"
command="${1:-run}"
shift || true

# run and test install what they need; anything else is refused below.
case "$command" in run | test) "$here/bootstrap.sh" "$command" ;; esac
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
    status=0
    # A failing test is run once more before it fails the suite (see the note on the sanitized
    # run below; ui.tst_mainwindow has failed once in about twenty runs for reasons not yet
    # understood). The first failure stays in the log.
    (cd "$build" && ctest --output-on-failure --timeout 600 --repeat until-pass:2 "$@") || status=1
    # The same suite under AddressSanitizer and UndefinedBehaviorSanitizer. Leak checking is
    # off: Qt's and the test runner's own process-lifetime allocations are not ours to fix.
    sanitize="${CLUSTERSCOPE_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
    cmake -S "$root" -B "$sanitize" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLUSTERSCOPE_SANITIZE=ON >/dev/null
    cmake --build "$sanitize" -j "$(nproc)"
    # malloc_context_size=0: Boost.Process's launcher lets Asio's notify_fork allocate in the
    # forked child before exec; under ASan that allocation records a stack trace behind a
    # spin lock another thread of a busy process (the window's) may hold at fork time, and the
    # child spins forever (seen with gdb in ui.tst_mainwindow). Without recorded allocation
    # stacks ASan takes no such lock; its reports just lose the "allocated at" trace.
    # A test that still fails is run once more (slower under the sanitizers); one that fails
    # twice fails the suite, and the first failure stays in the log.
    (cd "$sanitize" && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:malloc_context_size=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --output-on-failure --timeout 900 --repeat until-pass:2 -LE package "$@") || status=1
    # Fuzzing from the checked-in seed corpora, bounded.
    "$root/tests/fuzz/run.sh" "${CLUSTERSCOPE_FUZZ_SECONDS:-30}" || status=1
    if [ $status -eq 0 ]; then echo "clusterscope: the whole suite passed (plain, sanitized, fuzzed)"; fi
    exit $status
    ;;
*)
    echo "usage: installer/clusterscope.sh run [clusterscope flags] | test [ctest flags]" >&2
    exit 2
    ;;
esac
