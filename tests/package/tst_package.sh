#!/usr/bin/env bash
# The packages, as a user gets them: builds the .deb and the .tar.gz with CPack, checks what
# they hold and declare, unpacks the .deb into a temporary root and runs a headless cluster
# from there, then from a moved copy, then without its worker.
#
# usage: tst_package.sh BUILD_DIR CPACK VERSION
# Needs dpkg-deb and dpkg-shlibdeps (dpkg-dev), desktop-file-validate (desktop-file-utils),
# appstreamcli (appstream), lintian, man (man-db): a missing one is a failure, never a skip.
set -uo pipefail

build_dir=${1:?usage: tst_package.sh BUILD_DIR CPACK VERSION}
cpack=${2:?}
version=${3:?}
app_id=io.github.clusterscope.Clusterscope
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "PASS: $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-package.XXXXXX") || die "cannot make a temporary directory"
# As the kernel names it: processes_under compares it with /proc/PID/exe, which has no symlinks.
tmp=$(cd "$tmp" && pwd -P) || die "cannot enter $tmp"
master_pid=""
# Everything this test started is killed and removed on every way out, failures included.
cleanup() {
    if [ -n "$master_pid" ]; then
        kill -KILL "$master_pid" 2>/dev/null
        wait "$master_pid" 2>/dev/null
    fi
    for pid in $(processes_under "$tmp"); do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Pids of the processes whose executable lies under directory $1.
processes_under() {
    local proc exe
    for proc in /proc/[0-9]*; do
        exe=$(readlink "$proc/exe" 2>/dev/null) || continue
        case "$exe" in "$1"/*) echo "${proc#/proc/}" ;; esac
    done
}

# Whether pid $1 has ended (gone, or a zombie waiting for us to reap it).
ended() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" = Z ]
}

# Runs "$@" until it succeeds or $1 seconds pass.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

for tool in dpkg-deb dpkg-shlibdeps desktop-file-validate appstreamcli lintian systemd-analyze man tar gzip timeout; do
    command -v "$tool" >/dev/null 2>&1 \
        || die "$tool is missing; install it (installer/bootstrap.sh installs dpkg-dev, desktop-file-utils, appstream, lintian, systemd and man-db)"
done
[ -f "$build_dir/CPackConfig.cmake" ] || die "no CPackConfig.cmake in $build_dir; configure the project first"

# --- build both packages into the temporary directory, away from the build's own outputs
if ! (cd "$tmp" && "$cpack" --config "$build_dir/CPackConfig.cmake" -G "DEB;TGZ" -B "$tmp/out" >"$tmp/cpack.log" 2>&1); then
    cat "$tmp/cpack.log" >&2
    die "cpack failed"
fi
shopt -s nullglob
debs=("$tmp"/out/clusterscope_"$version"_*.deb)
tgzs=("$tmp"/out/clusterscope-"$version"-*.tar.gz)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || { ls -l "$tmp/out" >&2; die "expected one clusterscope_${version}_<arch>.deb"; }
[ ${#tgzs[@]} -eq 1 ] || { ls -l "$tmp/out" >&2; die "expected one clusterscope-${version}-<system>.tar.gz"; }
deb=${debs[0]}
tgz=${tgzs[0]}
pass "cpack made $(basename "$deb") and $(basename "$tgz")"

# --- what the .deb declares
[ "$(dpkg-deb -f "$deb" Package)" = clusterscope ] || fail "the package is not named clusterscope"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the package version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# One package name a line, so names match whole (libqt6core6 is not libqt6core6t64).
sed 's/ *([^)]*)//g; s/ *| */\n/g; s/, */\n/g' <<<"$depends" >"$tmp/depends"
for package in libqt6charts6 libqt6widgets6 libqt6gui6 libqt6core6 libstdc++6 libc6; do
    grep -qxF "$package" "$tmp/depends" || fail "Depends lacks $package"
done
# Nothing of Qt's networking: the window asks core whether an address is loopback, and
# libqt6network6 would pull TLS and Kerberos libraries into every install.
if grep -qxF libqt6network6 "$tmp/depends"; then
    fail "Depends names libqt6network6, which nothing in the program uses"
fi
[ $failures -eq 0 ] && pass "the .deb is clusterscope $version and depends on Qt 6 and Qt Charts, not on Qt Network"

# --- what the .deb holds
# A link's line ends "PATH -> TARGET": its path is the field before the arrow.
dpkg-deb -c "$deb" | awk '{ for (i = 6; i < NF; i++) if ($i == "->") { print $(i - 1); next } print $NF }' \
    | sed 's|^\./|/|' >"$tmp/contents"
expected=(
    /usr/bin/clusterscope
    /usr/bin/clusterscope-load
    /usr/libexec/clusterscope/clusterscope-worker
    /usr/share/applications/$app_id.desktop
    /usr/share/metainfo/$app_id.metainfo.xml
    /usr/share/man/man1/clusterscope.1.gz
    /usr/share/man/man1/clusterscope-load.1.gz
    /usr/share/bash-completion/completions/clusterscope
    /usr/share/bash-completion/completions/clusterscope-load
    /usr/share/icons/hicolor/scalable/apps/clusterscope.svg
    /usr/share/doc/clusterscope/copyright
    /usr/share/doc/clusterscope/changelog.gz
)
for size in 16 22 24 32 48 64 128 256 512; do
    expected+=("/usr/share/icons/hicolor/${size}x${size}/apps/clusterscope.png")
done
before=$failures
for path in "${expected[@]}"; do
    grep -qxF "$path" "$tmp/contents" || fail "the .deb lacks $path"
done
[ $failures -eq $before ] && pass "the .deb holds the ${#expected[@]} expected files"

# --- Debian's policy checker: an error (E:) fails, warnings and infos are shown only.
# With the project's hardening flags (the top CMakeLists.txt) lintian 2.116 has nothing to say,
# not even an info.
# Running as root, lintian says it "is not recommended" on stderr: harmless here.
# Its own temporary files go into ours: it leaves one (mldbm-elf-*) in $TMPDIR every run.
if TMPDIR="$tmp" lintian --fail-on none --display-info "$deb" >"$tmp/lintian.log" 2>"$tmp/lintian.err"; then
    grep -E '^[WI]: ' "$tmp/lintian.log"
    if grep -q '^E: ' "$tmp/lintian.log"; then
        grep '^E: ' "$tmp/lintian.log" >&2
        fail "lintian reports $(grep -c '^E: ' "$tmp/lintian.log") error(s) in the .deb"
    else
        pass "lintian: no errors ($(grep -c '^W: ' "$tmp/lintian.log") warnings, $(grep -c '^I: ' "$tmp/lintian.log") infos)"
    fi
else
    cat "$tmp/lintian.log" "$tmp/lintian.err" >&2
    fail "lintian could not check the .deb"
fi

# The tarball has the same tree under one top-level directory.
tar -tzf "$tgz" >"$tmp/tgz-contents" || fail "cannot list $tgz"
before=$failures
for path in bin/clusterscope bin/clusterscope-load libexec/clusterscope/clusterscope-worker \
        "share/applications/$app_id.desktop" share/man/man1/clusterscope.1.gz share/doc/clusterscope/copyright \
        share/bash-completion/completions/clusterscope; do
    grep -qE "^[^/]+/$path\$" "$tmp/tgz-contents" || fail "the .tar.gz lacks $path"
done
[ $failures -eq $before ] && pass "the .tar.gz holds bin/, libexec/ and share/"

# --- unpack and check the desktop integration files as installed
root="$tmp/root"
dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x failed"
desktop-file-validate "$root/usr/share/applications/$app_id.desktop" \
    && pass "desktop-file-validate accepts the .desktop entry" || fail "desktop-file-validate rejects the .desktop entry"
appstreamcli validate --no-net "$root/usr/share/metainfo/$app_id.metainfo.xml" >"$tmp/appstream.log" 2>&1 \
    && pass "appstreamcli accepts the metainfo" || { cat "$tmp/appstream.log" >&2; fail "appstreamcli rejects the metainfo"; }
grep -q "release version=\"$version\"" "$root/usr/share/metainfo/$app_id.metainfo.xml" \
    || fail "the metainfo's release is not $version"
grep -qxF '<project_license>MIT</project_license>' <(sed 's/^ *//' "$root/usr/share/metainfo/$app_id.metainfo.xml") \
    || fail "the metainfo's project_license is not MIT"

# The systemd units as shipped: systemd-analyze verify says nothing about them (it exits 0
# even on a misspelt key, so any word from it is a failure). It checks that ExecStart's
# program exists: that one line points at the unpacked /usr/bin/clusterscope.
units=$root/usr/lib/systemd/system
if [ -f "$units/clusterscope@.service" ] && [ -f "$units/clusterscope@.socket" ]; then
    mkdir -p "$tmp/units"
    cp "$units/clusterscope@.service" "$units/clusterscope@.socket" "$tmp/units/"
    sed -i "s|^ExecStart=/usr/bin/clusterscope |ExecStart=$root/usr/bin/clusterscope |" "$tmp/units/clusterscope@.service"
    if SYSTEMD_UNIT_PATH="$tmp/units:" systemd-analyze verify --man=no \
        "$tmp/units/clusterscope@demo.service" "$tmp/units/clusterscope@demo.socket" >"$tmp/verify.log" 2>&1 \
        && [ ! -s "$tmp/verify.log" ]; then
        pass "systemd-analyze verify accepts clusterscope@.service and clusterscope@.socket"
    else
        cat "$tmp/verify.log" >&2
        fail "systemd-analyze verify finds fault with the units"
    fi
    grep -qx 'Type=notify' "$units/clusterscope@.service" || fail "the service is not Type=notify"
    grep -qx 'KillMode=mixed' "$units/clusterscope@.service" || fail "the service's stop does not go through the master (KillMode=mixed)"
    [ -f "$root/usr/share/clusterscope/examples/demo.toml" ] || fail "the demo cluster's configuration is missing"
else
    fail "the .deb lacks the systemd units"
fi

# The copyright file is Debian's machine-readable format and carries LICENSE word for word.
doc=$root/usr/share/doc/clusterscope
before=$failures
head -n1 "$doc/copyright" | grep -qxF 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
    || fail "the copyright file does not start with the DEP-5 Format line"
for license in MIT BSL-1.0; do
    grep -qxF "License: $license" "$doc/copyright" || fail "the copyright file has no License: $license"
done
# Its standalone MIT paragraph, unindented, is the text of LICENSE after the copyright line.
awk 'BEGIN { RS = "" } /^License: MIT\n/' "$doc/copyright" | sed '1d; s/^ //; s/^\.$//' >"$tmp/mit.txt"
sed '1,/^Copyright (c)/d' "$source_dir/LICENSE" | sed '1{/^$/d}' >"$tmp/license.txt"
grep -qxF 'Copyright (c) 2026 The Clusterscope developers' "$source_dir/LICENSE" \
    || fail "LICENSE lacks its copyright line"
diff -u "$tmp/license.txt" "$tmp/mit.txt" >&2 || fail "the copyright file's MIT text differs from LICENSE"
# The changelog's newest entry is this version.
gzip -dc "$doc/changelog.gz" 2>/dev/null | head -n1 | grep -qF "clusterscope ($version) " \
    || fail "changelog.gz does not start with an entry for clusterscope $version"
[ $failures -eq $before ] && pass "copyright (DEP-5, MIT as in LICENSE, Boost's BSL-1.0) and changelog.gz of $version"

# The man pages keep up with the programs: every flag --help lists is in them.
for program in clusterscope clusterscope-load; do
    "$root/usr/bin/$program" --help >"$tmp/help.txt" 2>&1 || fail "$program --help failed"
    gzip -dc "$root/usr/share/man/man1/$program.1.gz" | sed 's/\\-/-/g' >"$tmp/man.txt" \
        || fail "the man page of $program is not a readable .gz"
    flags=$(grep -oE -- '--[a-z][a-z-]+' "$tmp/help.txt" | sort -u)
    [ -n "$flags" ] || fail "$program --help lists no flags"
    before=$failures
    for flag in $flags; do
        grep -qF -- "$flag" "$tmp/man.txt" || fail "the man page of $program does not mention $flag"
    done
    [ $failures -eq $before ] && pass "the man page of $program covers the $(wc -w <<<"$flags") flags of --help"
done

# man finds both pages by name in the installed tree, and renders them.
before=$failures
for program in clusterscope clusterscope-load; do
    MANPATH="$root/usr/share/man" MANPAGER=cat MANWIDTH=100 man "$program" >"$tmp/man-rendered.txt" 2>"$tmp/man.err" \
        || { cat "$tmp/man.err" >&2; fail "man $program found no page in the installed tree"; continue; }
    grep -q "^NAME" "$tmp/man-rendered.txt" && grep -qF -- "$program -" "$tmp/man-rendered.txt" \
        || fail "man $program did not render its NAME section"
done
[ $failures -eq $before ] && pass "man clusterscope and man clusterscope-load render from the installed tree"

# Bash completion as bash-completion loads it: the file named after the command (for
# clusterscope-load a link to the one file), then its function for that command.
before=$failures
completions=$root/usr/share/bash-completion/completions
[ "$(readlink "$completions/clusterscope-load")" = clusterscope ] \
    || fail "completions/clusterscope-load is not a link to clusterscope"
for program in clusterscope clusterscope-load; do
    offered=$(bash --norc --noprofile -c '
        source "$1" || exit 1
        function=$(complete -p "$2" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
        [ -n "$function" ] || exit 1
        COMP_WORDS=("$2" --po); COMP_CWORD=1; COMPREPLY=()
        "$function" "$2" --po "$2"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$completions/$program" "$program")
    [ "$offered" = "--policy --port " ] || [ "$program" = clusterscope-load ] \
        || fail "completing 'clusterscope --po' offered '$offered', expected --policy --port"
    [ "$offered" = "--port " ] || [ "$program" = clusterscope ] \
        || fail "completing 'clusterscope-load --po' offered '$offered', expected --port"
done
[ $failures -eq $before ] && pass "bash completes 'clusterscope --po' to --policy and --port from the installed file"

out=$("$root/usr/bin/clusterscope" --version 2>&1)
[ "$out" = "clusterscope $version" ] && pass "--version prints '$out'" || fail "--version printed '$out', expected 'clusterscope $version'"

# One GET / over bash's /dev/tcp: prints the raw response.
http_get() {
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1
        printf "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
        cat <&3' "$1" 2>/dev/null
}

first_port() { grep -om1 '"port":[0-9]*' "$tmp/master.out" | cut -d: -f2; }
has_port() { [ -n "$(first_port)" ]; }
got_200() { http_get "$port" >"$tmp/response" && head -n1 "$tmp/response" | grep -q '^HTTP/1.1 200'; }

count_workers() {
    local pid running=0
    for pid in $(processes_under "$tmp"); do
        [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$worker_exe" ] && running=$((running + 1))
    done
    echo $running
}
two_workers() { [ "$(count_workers)" -eq 2 ]; }

# Starts a headless cluster of two workers from the installation prefix $1 (extra flags after
# $2), checks that its workers run $worker_exe and answer /, stops it with SIGTERM and checks
# that it exits 0 and leaves no process behind.
worker_exe=""
run_cluster() {
    local prefix=$1 label=$2 before=$failures
    shift 2
    # Emptied here, not only by the redirection below: that one happens in the background
    # child, and until it does has_port would read the previous run's port.
    : >"$tmp/master.out"
    : >"$tmp/master.err"
    "$prefix/bin/clusterscope" --headless --port 0 --workers 2 --json --interval 200 "$@" \
        >"$tmp/master.out" 2>"$tmp/master.err" &
    master_pid=$!
    if ! wait_for 15 has_port; then
        cat "$tmp/master.err" >&2
        fail "$label: no JSON line with \"port\" within 15 s"
        return
    fi
    port=$(first_port)
    if ! wait_for 10 got_200; then
        fail "$label: GET / on port $port did not answer 200"
    elif ! grep -Eqi '^X-Worker: [12]'$'\r''?$' "$tmp/response"; then
        fail "$label: the response to / has no X-Worker: 1|2 header"
    fi
    # A worker may still be between fork and exec: wait for both to run the expected program.
    wait_for 10 two_workers || fail "$label: expected 2 workers running $worker_exe, found $(count_workers)"

    kill -TERM "$master_pid"
    if wait_for 20 ended "$master_pid"; then
        wait "$master_pid"
        local status=$?
        [ $status -eq 0 ] || fail "$label: exit status $status after SIGTERM, expected 0"
    else
        fail "$label: still running 20 s after SIGTERM"
    fi
    master_pid=""
    no_processes() { [ -z "$(processes_under "$tmp")" ]; }
    wait_for 5 no_processes || fail "$label: processes left running: $(processes_under "$tmp")"
    [ $failures -eq $before ] && pass "$label: a headless cluster served / on port $port and stopped cleanly"
}

worker_exe=$root/usr/libexec/clusterscope/clusterscope-worker
run_cluster "$root/usr" "unpacked .deb"

# --- a moved tree still finds its worker (it looks relative to its own executable)
moved="$tmp/elsewhere/deeper"
mkdir -p "$tmp/elsewhere" && mv "$root" "$moved" || die "cannot move the unpacked tree"
worker_exe=$moved/usr/libexec/clusterscope/clusterscope-worker
run_cluster "$moved/usr" "moved tree"

# --- the .tar.gz runs from wherever it is unpacked
mkdir "$tmp/tgz" && tar -xzf "$tgz" -C "$tmp/tgz" || die "cannot unpack $tgz"
tgz_prefix=$(dirname "$(dirname "$(echo "$tmp"/tgz/*/bin/clusterscope)")")
worker_exe=$tgz_prefix/libexec/clusterscope/clusterscope-worker
run_cluster "$tgz_prefix" "unpacked .tar.gz"

# --- without its worker it says so in one sentence and exits 2
rm "$moved/usr/libexec/clusterscope/clusterscope-worker"
timeout 20 "$moved/usr/bin/clusterscope" --headless --port 0 --workers 2 >"$tmp/missing.out" 2>"$tmp/missing.err"
status=$?
before=$failures
[ $status -eq 2 ] || fail "missing worker: exit status $status, expected 2"
lines=$(grep -c . "$tmp/missing.err")
[ "$lines" -eq 1 ] || { cat "$tmp/missing.err" >&2; fail "missing worker: expected one line on stderr, got $lines"; }
grep -q 'worker' "$tmp/missing.err" || fail "missing worker: stderr does not mention the worker: $(cat "$tmp/missing.err")"
[ $failures -eq $before ] && pass "missing worker: exit 2 with: $(cat "$tmp/missing.err")"

# --- --worker-program overrides the lookup: the worker-less tree runs the tarball's worker
worker_exe=$tgz_prefix/libexec/clusterscope/clusterscope-worker
run_cluster "$moved/usr" "--worker-program" --worker-program "$worker_exe"

if [ $failures -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all package checks passed"
