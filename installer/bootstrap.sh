#!/usr/bin/env bash
# Installs every Debian 12 package Clusterscope's build, tests and benchmarks need.
# Idempotent, and fast when everything is present: apt runs only for what is missing.
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ pkg-config libboost1.81-dev qt6-base-dev qt6-charts-dev libgl-dev
    # tests, screenshots and benchmarks
    xvfb xauth imagemagick wrk nginx-light nodejs
    # packaging and its checks
    dpkg-dev desktop-file-utils appstream
    # sanitizers and fuzzing (libFuzzer)
    clang libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
    # node may come from elsewhere than Debian (the development machines have it already).
    if [ "$package" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: all ${#packages[@]} packages are present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "bootstrap: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
