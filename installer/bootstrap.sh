#!/usr/bin/env bash
# Installs the Debian 12 packages Clusterscope needs for one purpose; each purpose includes the
# ones before it:
#   run    build, and run the window and --headless
#   test   the ctest suite (tests/install's closure test reads this list), the packaging
#          checks and the fuzzers (tests/fuzz/run.sh)
#   bench  the benchmarks (tests/bench) and the screenshot (tests/ui/screenshot.sh)
#
# usage: bootstrap.sh run|test|bench           install what is missing for that purpose
#        bootstrap.sh --list run|test|bench    print its packages, one a line, and exit
#
# Idempotent, and fast when everything is present: apt runs only for what is missing. It never
# removes a package silently: when apt would (libboost-dev, Boost 1.74, conflicts with
# libboost1.81-dev), it stops and names them; CLUSTERSCOPE_ALLOW_REMOVE=1 goes ahead anyway.
set -euo pipefail

run_packages=(
    g++ cmake ninja-build pkg-config
    libboost1.81-dev
    # config files: toml++ reads and writes TOML (its shared library, libtomlplusplus3, comes
    # with it and is in the .deb's Depends); Boost.JSON is in libboost1.81-dev, compiled in
    libtomlplusplus-dev
    # qt6-charts-dev does not depend on libqt6opengl6-dev, yet Qt6Charts' CMake config needs
    # Qt6OpenGL: without it the configure step fails.
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
)
test_packages=(
    # tests/integration/tst_exec runs the example servers under node and python3 (from PATH)
    nodejs python3
    # the packaging checks: dpkg-shlibdeps (cpack's Depends), desktop-file-validate,
    # appstreamcli, lintian
    # (cpack's .deb generator runs `file` to find what dpkg-shlibdeps should read; minbase has
    # no `file`, and lintian pulling it in is luck)
    dpkg-dev file desktop-file-utils appstream lintian
    # systemd-analyze verify checks the shipped units (no running systemd needed)
    systemd
    # integration.tst_prometheusserver: a real Prometheus scrapes a master (label prometheus)
    prometheus
    # tst_package reads the installed man pages with man itself (man-db is not in minbase)
    man-db
    # the sanitized build and the libFuzzer targets (tests/fuzz/run.sh builds with clang)
    clang libclang-rt-14-dev
)
bench_packages=(
    # tests/bench: the peers and the load generator
    wrk nginx-light
    # a real display for window_cpu.sh and screenshot.sh, and screenshot.sh's capture and probes
    xvfb xauth imagemagick curl
    # profile.sh
    strace
)

usage() {
    echo "usage: installer/bootstrap.sh run|test|bench   (or --list run|test|bench to print the packages)" >&2
    exit 2
}

list=false
if [ "${1:-}" = --list ]; then
    list=true
    shift
fi
purpose=${1:-}
case "$purpose" in
run) packages=("${run_packages[@]}") ;;
test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
bench) packages=("${run_packages[@]}" "${test_packages[@]}" "${bench_packages[@]}") ;;
*) usage ;;
esac
if $list; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    # The tests run whatever node is on PATH: one installed outside Debian (nvm, a tarball)
    # serves, and a second one from Debian would only shadow or be shadowed by it.
    if [ "$package" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: all ${#packages[@]} packages for '$purpose' are present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "bootstrap: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq

# Ask apt first what it would do: a package it would remove is named, not removed.
if ! simulation=$(apt-get -s install --no-install-recommends "${missing[@]}" 2>&1); then
    echo "$simulation" >&2
    echo "bootstrap: apt cannot install ${missing[*]} (above)" >&2
    exit 1
fi
removed=$(awk '$1 == "Remv" { printf "%s%s", sep, $2; sep = " " }' <<<"$simulation")
if [ -n "$removed" ] && [ "${CLUSTERSCOPE_ALLOW_REMOVE:-0}" != 1 ]; then
    echo "bootstrap: installing ${missing[*]} would remove $removed; nothing was changed: run again with CLUSTERSCOPE_ALLOW_REMOVE=1 to let apt remove them." >&2
    exit 1
fi

echo "bootstrap: installing ${missing[*]}${removed:+ (and removing $removed)}"
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
