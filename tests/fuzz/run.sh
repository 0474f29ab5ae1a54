#!/bin/sh
# Builds the libFuzzer targets with clang in build-fuzz and runs each for a bounded time
# from its checked-in seed corpus. Usage: tests/fuzz/run.sh [SECONDS per target, 60]
set -eu
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
# The fuzz folder is added beside the project, so tests/CMakeLists.txt need not know it.
wrapper="$build/wrapper"
mkdir -p "$wrapper"
cat > "$wrapper/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(ClusterscopeFuzz LANGUAGES CXX)
set(CLUSTERSCOPE_BUILD_UI OFF CACHE BOOL "" FORCE)
set(CLUSTERSCOPE_BUILD_TESTS OFF CACHE BOOL "" FORCE)
add_subdirectory("$root" main)
add_subdirectory("$root/tests/fuzz" fuzz)
CMAKE
CC=clang CXX=clang++ cmake -S "$wrapper" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLUSTERSCOPE_FUZZ=ON -DCLUSTERSCOPE_SANITIZE=ON >/dev/null
cmake --build "$build" -j2 --target fuzz_requestparser fuzz_ipcdecode fuzz_configparse fuzz_controlrequest
status=0
for target in fuzz_requestparser fuzz_ipcdecode fuzz_configparse fuzz_controlrequest; do
    # New inputs go to a scratch folder; the checked-in seeds stay as they are.
    scratch="$build/corpus/$target"
    mkdir -p "$scratch"
    echo "== $target for ${seconds}s"
    # libFuzzer reports every new input; keep that in a log and show the end of it.
    log="$build/$target.log"
    if "$build/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -artifact_prefix="$build/$target-" "$scratch" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1; then
        grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -n 1
        echo "== $target: no crash, no leak, no timeout"
    else
        tail -n 60 "$log"
        echo "== $target FAILED (input saved under $build/$target-*)"
        status=1
    fi
done
exit $status
