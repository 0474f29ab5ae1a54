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
    failed=()
    # What failed, repeated at the very end: a CI log that keeps only its tail still names the
    # failed tests and shows the last lines each printed (the whole output is above, and in
    # BUILD/Testing/Temporary/LastTest.log).
    digest() { # digest PASS BUILD_DIR
        local log="$2/Testing/Temporary/LastTest.log" list="$2/Testing/Temporary/LastTestsFailed.log" name
        [ -s "$list" ] || { echo "clusterscope: the $1 pass failed before or after its tests ran (see above)"; return; }
        echo "clusterscope: the $1 pass failed: $(cut -d: -f2- "$list" | tr '\n' ' ')"
        while IFS=: read -r _ name; do
            echo "---- $name, the last 40 lines it printed ($1 pass):"
            awk -v t="$name" '$0 ~ "^[0-9]+/[0-9]+ Test: " && $3 == t { on = 1; next }
                on && /^<end of output>$/ { exit } on' "$log" | tail -n 40 || true
        done <"$list"
    }
    # No retries: a test that fails once fails the suite.
    (cd "$build" && ctest --output-on-failure --timeout 600 "$@") || { status=1; failed+=("plain:$build"); }
    # The same suite under AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer, with
    # ASan's default options otherwise: no suppressions, every test leak-checked, UI ones too.
    sanitize="${CLUSTERSCOPE_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
    cmake -S "$root" -B "$sanitize" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLUSTERSCOPE_SANITIZE=ON >/dev/null
    cmake --build "$sanitize" -j "$(nproc)"
    (cd "$sanitize" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --output-on-failure --timeout 900 -LE 'package|install' "$@") || { status=1; failed+=("sanitized:$sanitize"); }
    # Fuzzing from the checked-in seed corpora, bounded.
    "$root/tests/fuzz/run.sh" "${CLUSTERSCOPE_FUZZ_SECONDS:-30}" || { status=1; echo "clusterscope: a fuzzer failed (see above)"; }
    for pass in ${failed[@]+"${failed[@]}"}; do digest "${pass%%:*}" "${pass#*:}"; done
    if [ $status -eq 0 ]; then echo "clusterscope: the whole suite passed (plain, sanitized, fuzzed)"; fi
    exit $status
    ;;
*)
    echo "usage: installer/clusterscope.sh run [clusterscope flags] | test [ctest flags]" >&2
    exit 2
    ;;
esac
