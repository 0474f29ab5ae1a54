#!/usr/bin/env bash
# The quick start on a machine that has never seen Clusterscope: a minimal Debian 12 root
# made with debootstrap, a clone of the repository in it, and the README's two commands run
# there with a clean environment; then the .deb built there is installed, run and removed
# in a second pristine root. See installer/README.md.
#
# usage: installer/fresh-root-test.sh [--skip-test] [--keep] [--refresh-cache]
#            [--run-timeout S] [--test-timeout S] [REPOSITORY]
#   REPOSITORY   the git repository to clone (default: the one this script lives in).
#                What is committed there is what is tested, not the working tree.
#   --skip-test  leave out `installer/clusterscope.sh test` (the long part): for development
#   --keep       keep the roots (unmounted) under /var/tmp/cs-fresh/run-*/ for inspection
#   --refresh-cache  make the cached pristine root again with debootstrap
#   --run-timeout S   install + build + start for `run` (5400), --test-timeout S (14400)
# Needs root, debootstrap, git, util-linux (unshare, setsid, findmnt, flock), and about
# 6 GB free under /var/tmp/cs-fresh (CS_FRESH_DIR overrides the place).
set -uo pipefail

script=$(readlink -f "${BASH_SOURCE[0]}")
base=${CS_FRESH_DIR:-/var/tmp/cs-fresh}
suite=bookworm
skip_test=0 keep=0 refresh_cache=0 use_unshare=1
run_timeout=5400 test_timeout=14400
repo=""
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
    --skip-test) skip_test=1 ;;
    --keep) keep=1 ;;
    --refresh-cache) refresh_cache=1 ;;
    --no-unshare) use_unshare=0 ;; # for testing the cleanup itself: mounts are then visible to the host
    --run-timeout) run_timeout=${2:?}; shift ;;
    --test-timeout) test_timeout=${2:?}; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$script" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fresh-root-test: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) repo=$1 ;;
    esac
    shift
done

die() { echo "fresh-root-test: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it)"
for tool in debootstrap git chroot unshare setsid findmnt flock mount umount apt-config dpkg-query dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install debootstrap git util-linux)"
done

# Everything below runs in a private mount namespace: the roots' mounts are invisible to the
# host and vanish with this process even if it is killed with SIGKILL. They are still
# unmounted one by one on every way out (the trap below), and checked with findmnt.
if [ $use_unshare -eq 1 ] && [ -z "${CS_FRESH_IN_NAMESPACE:-}" ]; then
    export CS_FRESH_IN_NAMESPACE=1
    exec unshare --mount --propagation private -- "$BASH" "$script" "${args[@]}"
fi

[ -n "$repo" ] || repo=$(git -C "$(dirname "$script")" rev-parse --show-toplevel) || die "no repository given"
repo=$(readlink -f "$repo")
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || die "$repo is not a git repository with a commit"

run_id=$(date +%Y%m%d-%H%M%S)-$$
rundir=$base/run-$run_id
logdir=$base/logs/$run_id
cachedir=$base/cache
mkdir -p "$rundir" "$logdir" "$cachedir" || die "cannot make $rundir"
exec 3>&1 # the console; step output goes to each step's log

env_path=/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------------------------------
# Cleanup on every way out: kill what runs in the roots, unmount, remove.

roots=()       # roots made by this run
mounts=()      # mount points made by this run, in order
job_pid=""     # the session started by start_in_root, if it still runs

# Pids of processes whose root directory is $1 or below it.
processes_in() {
    local proc r
    for proc in /proc/[0-9]*; do
        r=$(readlink "$proc/root" 2>/dev/null) || continue
        case "$r" in "$1" | "$1"/*) echo "${proc#/proc/}" ;; esac
    done
}

kill_processes_in() {
    local deadline=$((SECONDS + 10)) pids
    while pids=$(processes_in "$1") && [ -n "$pids" ]; do
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
        [ $SECONDS -ge $deadline ] && { echo "fresh-root-test: processes in $1 will not die: $pids" >&2; return 1; }
        sleep 0.2
    done
}

mounts_under() { findmnt -rn -o TARGET | grep -E "^$1(/|\$)" | sort -r; }

unmount_under() {
    local i m
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        m=${mounts[i]}
        case "$m" in "$1" | "$1"/*) ;; *) continue ;; esac
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
        unset 'mounts[i]'
    done
    mounts=("${mounts[@]}")
    # Anything else mounted there (debootstrap's own mounts after a kill, say).
    for m in $(mounts_under "$1"); do umount -l "$m" 2>/dev/null; done
    [ -z "$(mounts_under "$1")" ]
}

teardown_root() {
    local root=$1
    kill_processes_in "$root"
    echo "$(date +%T) no process left in $root"
    if ! unmount_under "$root"; then
        echo "fresh-root-test: still mounted under $root: $(mounts_under "$root" | tr '\n' ' ')" >&2
        return 1
    fi
    # --one-file-system: never follow into a mount, should one appear after the check.
    echo "$(date +%T) nothing mounted under $root"
    [ $keep -eq 1 ] || rm -rf --one-file-system "$root"
    echo "$(date +%T) removed"
}

cleaned=0
cleanup() {
    [ $cleaned -eq 1 ] && return
    cleaned=1
    if [ -n "$job_pid" ]; then kill -KILL -- "-$job_pid" 2>/dev/null; wait "$job_pid" 2>/dev/null; fi
    local root status=0
    for root in "${roots[@]}"; do [ -d "$root" ] && { teardown_root "$root" || status=1; }; done
    unmount_under "$base" || status=1
    if [ -n "$(mounts_under "$base")" ]; then
        echo "fresh-root-test: MOUNTS LEFT under $base:" >&2
        mounts_under "$base" >&2
    else
        echo "fresh-root-test: findmnt: nothing mounted under $base" >&3
    fi
    [ $keep -eq 1 ] || rm -rf --one-file-system "$rundir"
    return $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # until the steps begin (then: interrupted, below)
interrupted() {
    trap '' INT TERM HUP
    echo "fresh-root-test: interrupted" >&3
    if [ -n "$current_step" ]; then
        step_names+=("$current_step") step_secs+=($((SECONDS - current_start))) step_results+=("interrupted")
    fi
    print_summary
    exit 130
}

# ---------------------------------------------------------------------------------------
# The host's apt configuration.

# The enabled entries of the host's apt sources, one per line:
#   TYPE<TAB>URI<TAB>SUITE<TAB>COMPONENTS<TAB>SIGNED-BY
# from sources.list and sources.list.d/*.list (one-line format) and *.sources (deb822),
# in the order apt reads them.
host_apt_sources() {
    local SL="" SP="" f
    eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
    : "${SL:=/etc/apt/sources.list}" "${SP:=/etc/apt/sources.list.d/}"
    {
        [ -f "$SL" ] && echo "$SL"
        find "$SP" -maxdepth 1 -type f \( -name '*.list' -o -name '*.sources' \) 2>/dev/null | sort
    } | while read -r f; do
        case "$f" in
        *.sources)
            awk '
                function flush(   nt, nu, ns, i, j, k, T, U, S) {
                    if (enabled != "no" && types != "") {
                        nt = split(types, T, /[ \t]+/); nu = split(uris, U, /[ \t]+/); ns = split(suites, S, /[ \t]+/)
                        for (i = 1; i <= nt; i++) for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
                            if (T[i] != "" && U[j] != "" && S[k] != "")
                                printf "%s\t%s\t%s\t%s\t%s\n", T[i], U[j], S[k], comps, signed
                    }
                    types = uris = suites = comps = signed = enabled = field = ""
                }
                FNR == 1 { flush() }
                /^#/ { next }
                /^[ \t]*$/ { flush(); next }
                /^[ \t]/ {      # a continuation line
                    value = $0; gsub(/^[ \t]+|[ \t]+$/, "", value)
                    if (field == "signed-by") signed = "inline"   # an embedded key
                    else if (field == "types") types = types " " value
                    else if (field == "uris") uris = uris " " value
                    else if (field == "suites") suites = suites " " value
                    else if (field == "components") comps = comps " " value
                    next
                }
                {
                    field = tolower(substr($0, 1, index($0, ":") - 1))
                    value = substr($0, index($0, ":") + 1); gsub(/^[ \t]+|[ \t]+$/, "", value)
                    if (field == "types") types = value
                    else if (field == "uris") uris = value
                    else if (field == "suites") suites = value
                    else if (field == "components") comps = value
                    else if (field == "signed-by") signed = value
                    else if (field == "enabled") enabled = tolower(value)
                }
                END { flush() }' "$f"
            ;;
        *)
            awk '{
                sub(/#.*/, ""); signed = ""
                if (match($0, /\[[^]]*\]/)) {
                    n = split(substr($0, RSTART + 1, RLENGTH - 2), O, /[ \t]+/)
                    for (i = 1; i <= n; i++) if (O[i] ~ /^signed-by=/) signed = substr(O[i], 11)
                    $0 = substr($0, 1, RSTART - 1) " " substr($0, RSTART + RLENGTH)
                }
                if (NF < 3 || ($1 != "deb" && $1 != "deb-src")) next
                comps = ""; for (i = 4; i <= NF; i++) comps = comps (comps == "" ? "" : " ") $i
                printf "%s\t%s\t%s\t%s\t%s\n", $1, $2, $3, comps, signed
            }' "$f"
            ;;
        esac
    done
}

# The Debian entries a root gets: binary (deb) entries of the suite, its -updates and its
# -security, with the main component, as the host has them.
debian_sources() {
    host_apt_sources | awk -F '\t' -v suite="$suite" '
        $1 == "deb" && ($3 == suite || $3 == suite "-updates" || $3 == suite "-security") \
            && (" " $4 " ") ~ / main / && !seen[$2 " " $3]++'
}

mirror=$(debian_sources | awk -F '\t' -v suite="$suite" '$3 == suite { print $2; exit }')
[ -n "$mirror" ] || die "no 'deb' entry for $suite with component main in the host's apt sources"
arch=$(dpkg --print-architecture)

# Writes the host's Debian sources and its local apt/dpkg settings into root $1.
configure_root() {
    local root=$1 type uri s comps signed f
    rm -f "$root/etc/apt/sources.list"
    debian_sources | while IFS=$'\t' read -r type uri s comps signed; do
        echo "Types: $type"
        echo "URIs: $uri"
        echo "Suites: $s"
        echo "Components: $comps"
        # A keyring the root has (debian-archive-keyring's); otherwise apt's default keys.
        if [ -n "$signed" ] && [ "$signed" != inline ] && [ -f "$root$signed" ]; then echo "Signed-By: $signed"; fi
        echo
    done >"$root/etc/apt/sources.list.d/debian.sources"
    # The host's own settings that no package installed (how to reach the archive: proxies,
    # snapshot mirrors without Valid-Until, index targets; dpkg speed-ups): a machine of our
    # kind has them.
    for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/* /etc/dpkg/dpkg.cfg.d/*; do
        [ -f "$f" ] || continue
        dpkg-query -S "$f" >/dev/null 2>&1 && continue
        mkdir -p "$root$(dirname "$f")" && cp -p "$f" "$root$f"
    done
    # Its name resolution (the archive may be reachable only through /etc/hosts).
    cp -L /etc/hosts "$root/etc/hosts"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
    # No services start: the root shares the host's network, so an nginx started by its
    # package's postinst would take the host's port 80 and outlive the step.
    printf '#!/bin/sh\n# fresh-root-test: no service starts inside this root\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
}

# ---------------------------------------------------------------------------------------
# The cached pristine root: debootstrap once, copied for every root.

cache_key=$suite-minbase-$arch-$(printf '%s' "$mirror" | sha1sum | cut -c1-10)
cache=$cachedir/$cache_key

# The lock is held on fd 9 only while the cache is touched and closed after: a chroot
# command started later must not inherit it (the suite checks what descriptors a worker
# starts with, and an inherited one is a real leak to it).
make_cache() {
    exec 9>"$cachedir/lock"
    flock 9
    if [ $refresh_cache -eq 1 ] || [ ! -f "$cache/info" ]; then
        rm -rf --one-file-system "$cache.new" "$cache"
        mkdir -p "$cache.new"
        echo "debootstrap --variant=minbase $suite $cache.new/root $mirror"
        debootstrap --variant=minbase "$suite" "$cache.new/root" "$mirror" || { exec 9>&-; return 1; }
        # debootstrap's own package cache is not part of a fresh machine.
        rm -f "$cache.new/root/var/cache/apt/archives/"*.deb
        printf 'suite=%s\nmirror=%s\narch=%s\nmade=%s\ndebootstrap=%s\n' "$suite" "$mirror" "$arch" \
            "$(date -Is)" "$(dpkg-query -W -f='${Version}' debootstrap)" >"$cache.new/info"
        mv "$cache.new" "$cache"
    fi
    exec 9>&-
}

# Mounts what the suite needs in root $1.
mount_root() {
    local root=$1
    mnt() { mount "$@" && mounts+=("${!#}"); }
    mnt -t proc proc "$root/proc" &&
        mnt -t sysfs sysfs "$root/sys" &&
        mnt --bind /dev "$root/dev" &&
        mnt --bind /dev/pts "$root/dev/pts" &&
        mnt -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm" &&
        mnt -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp" &&
        mnt -t tmpfs -o mode=755,nosuid,nodev tmpfs "$root/run" &&
        mkdir -m 1777 "$root/run/lock"
}

# Root number $1: a pristine copy of the cache, configured and mounted.
prepare_root() {
    local root=$rundir/root$1
    roots+=("$root")
    echo "cp -a $cache/root $root"
    exec 9>"$cachedir/lock"
    flock -s 9
    cp -a "$cache/root" "$root" || { exec 9>&-; return 1; }
    exec 9>&-
    configure_root "$root" && mount_root "$root" || return 1
    echo "apt sources in the root:"
    cat "$root/etc/apt/sources.list.d/debian.sources"
    findmnt -rn -o TARGET,FSTYPE | grep -E "^$root(/| )"
}

# ---------------------------------------------------------------------------------------
# Running things inside a root.

# Starts bash -lc "$2" in root $1 in the background, in a session of its own (so a
# signal to its process group is what Ctrl-C in its terminal would be), with a clean
# environment and default signal dispositions (a background job of a script would
# otherwise start with SIGINT ignored). Sets job_pid.
start_in_root() {
    setsid env --default-signal -i HOME=/root PATH=$env_path TERM=dumb LANG=C.UTF-8 \
        chroot "$1" bash -lc "$2" </dev/null &
    job_pid=$!
}

# Runs bash -lc "$2" in root $1 and waits for it (at most $3 seconds): its exit status.
in_root() {
    start_in_root "$1" "$2"
    finish_job "${3:-600}"
}

# Whether pid $1 has ended (gone, or a zombie waiting to be reaped).
ended() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" = Z ]
}

# Waits at most $1 seconds for the job to end; then its exit status, or 124 after it was
# killed for taking too long.
finish_job() {
    local deadline=$((SECONDS + $1)) status
    while ! ended "$job_pid"; do
        if [ $SECONDS -ge $deadline ]; then
            echo "fresh-root-test: still running after $1 s: stopping it"
            kill -TERM -- "-$job_pid" 2>/dev/null
            local grace=$((SECONDS + 15))
            while ! ended "$job_pid" && [ $SECONDS -lt $grace ]; do sleep 0.5; done
            kill -KILL -- "-$job_pid" 2>/dev/null
            wait "$job_pid" 2>/dev/null
            job_pid=""
            return 124
        fi
        sleep 1
    done
    wait "$job_pid"
    status=$?
    job_pid=""
    return $status
}

# The first JSON snapshot in file $1 of a running cluster whose 2 workers are all online.
online_snapshot() {
    awk '/^\{"seq"/ && /"running":true/ {
        online = gsub(/"state":"online"/, "&"); slots = gsub(/"slot":/, "&")
        if (online == 2 && slots == 2) { print; exit }
    }' "$1"
}

# GET / on loopback port $1 over bash's /dev/tcp, run in root $2: the raw response.
http_get_in_root() {
    env -i PATH=$env_path chroot "$2" bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1
        printf "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
        timeout 5 cat <&3' "$1"
}

# Waits (at most $2 s) until the cluster started as job_pid in root $3 printed an online
# snapshot to log $1, asks it GET /, sends SIGINT to its process group (Ctrl-C) and expects
# exit status 0 within 30 s and no process left in the root.
check_headless_cluster() {
    local log=$1 limit=$2 root=$3 deadline=$(($SECONDS + $2)) snapshot port response status
    while snapshot=$(online_snapshot "$log") && [ -z "$snapshot" ]; do
        if ended "$job_pid"; then
            wait "$job_pid"; status=$?; job_pid=""
            echo "FAIL: it exited with status $status before both workers were online"
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "FAIL: no snapshot with 2 workers online within $limit s"
            return 1
        fi
        sleep 1
    done
    port=$(sed -E 's/.*"port":([0-9]+).*/\1/' <<<"$snapshot")
    echo "PASS: both workers online, serving port $port: $snapshot"
    local ok=1
    response=$(http_get_in_root "$port" "$root" | tr -d '\r')
    if grep -q '^HTTP/1.1 200' <<<"$response" && grep -q 'Hello from worker' <<<"$response"; then
        echo "PASS: GET / over bash /dev/tcp in the root: $(grep 'Hello from worker' <<<"$response")"
    else
        echo "FAIL: GET / on port $port did not answer 200 with Hello from worker: $response"
        ok=0
    fi
    echo "sending SIGINT to the process group (Ctrl-C)"
    kill -INT -- "-$job_pid"
    finish_job 30
    status=$?
    if [ $status -eq 0 ]; then echo "PASS: exit status 0 after SIGINT"; else echo "FAIL: exit status $status after SIGINT (124: did not stop within 30 s)"; ok=0; fi
    local left
    left=$(processes_in "$root")
    if [ -n "$left" ]; then
        echo "FAIL: processes left in the root: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
        ok=0
    fi
    [ $ok -eq 1 ]
}

# "N packages, M MiB installed" for root $1 (dpkg's Installed-Size of what is installed).
footprint() {
    chroot "$1" dpkg-query -W -f='${db:Status-Abbrev} ${Installed-Size}\n' |
        awk '$1 == "ii" { n++; kib += $2 } END { printf "%d packages, %d MiB installed", n, kib / 1024 }'
}
installed_packages() {
    chroot "$1" dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' | awk '$1 == "ii" { print $2 }' | sort
}
# Every file and directory of root $1 but its kernel, runtime and package-manager state.
file_list() {
    (cd "$1" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run -o -path ./tmp \
        -o -path ./root -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/cache \
        -o -path ./var/log -o -path ./var/tmp \) -prune -o -print | sed 's|^\.||' | sort)
}
# Paths owned by the packages installed in root $1.
# dpkg still lists /bin, /sbin and /lib* paths; on a merged-/usr system they are under /usr.
owned_paths() {
    cat "$1"/var/lib/dpkg/info/*.list 2>/dev/null | sed -E 's#^/(bin|sbin|lib|lib32|lib64|libx32)(/|$)#/usr/\1\2#' | sort -u
}
# The directories (3 levels at most) that hold the paths listed in file $1, with counts.
by_directory() {
    awk -F/ '{ d = ""; for (i = 2; i < NF && i <= 4; i++) d = d "/" $i; print (d == "" ? "/" : d) }' "$1" |
        sort | uniq -c | sort -rn | awk 'NR <= 10 { printf "%s%s (%d)", (NR > 1 ? ", " : ""), $2, $1 }'
}

print_summary() {
    {
        echo
        echo "fresh-root-test summary ($(date -Is), host load average $(cut -d' ' -f1-3 /proc/loadavg))"
        echo "  repository: $repo"
        echo "  tested commit: ${tested:-none}"
        echo "  mirror: $mirror ($suite, $arch)"
        printf '  %-52s %9s  %s\n' step "wall time" result
        for i in "${!step_names[@]}"; do
            secs=${step_secs[i]}
            [ -n "$secs" ] && secs=$(printf '%d:%02d' $((secs / 60)) $((secs % 60)))
            printf '  %-52s %9s  %s\n' "${step_names[i]}" "$secs" "${step_results[i]}"
        done
        total=$((SECONDS - started))
        printf '  %-52s %9s\n' total "$(printf '%d:%02d' $((total / 60)) $((total % 60)))"
        for n in "${summary_notes[@]}"; do echo "  $n"; done
        if [ -n "$failed_tests" ]; then
            echo "  failures in the test log:"
            sed 's/^/    /' <<<"$failed_tests"
        fi
        echo "  logs: $logdir"
    } | tee "$logdir/summary.txt" >&3
}

# ---------------------------------------------------------------------------------------
# Steps: each is timed, logged to its own file, and tabulated at the end.

step_names=() step_secs=() step_results=()
current_step="" current_start=0
summary_notes=()
note() { summary_notes+=("$*"); echo "$*"; }

step() {
    local name=$1 start=$SECONDS result
    shift
    local log
    log=$(printf '%s/%02d-%s.log' "$logdir" $((${#step_names[@]} + 1)) "$(tr -c 'a-zA-Z0-9\n' - <<<"$name")")
    current_log=$log current_step=$name current_start=$start
    echo "== $name (started $(date +%T); log $log)" >&3
    if "$@" >"$log" 2>&1; then result=ok; else result=FAIL; fi
    current_step=""
    step_names+=("$name") step_secs+=($((SECONDS - start))) step_results+=("$result")
    if [ $result = FAIL ]; then
        echo "-- $name FAILED after $((SECONDS - start)) s; the end of its log:" >&3
        grep -v '^[[:space:]]*$' "$log" | tail -n 40 | sed 's/^/   | /' >&3
    else
        echo "-- $name: ok ($((SECONDS - start)) s)" >&3
    fi
    [ $result = ok ]
}
skip() { step_names+=("$1") step_secs+=("") step_results+=("skipped: $2"); echo "== $1: skipped ($2)" >&3; }

# --- root 1: the README's two commands

root1=$rundir/root1
root2=$rundir/root2
clone=/root/clusterscope

do_clone() {
    git clone --no-hardlinks "$repo" "$root1$clone" || return 1
    tested=$(git -C "$root1$clone" log -1 --format='%H %<(72,trunc)%s')
    echo "tested commit: $tested"
}

do_run() {
    start_in_root "$root1" "cd $clone && exec installer/clusterscope.sh run --headless --port 0 --workers 2 --json"
    check_headless_cluster "$current_log" "$run_timeout" "$root1"
}

do_test() {
    in_root "$root1" "cd $clone && installer/clusterscope.sh test" "$test_timeout"
}

do_deb_build() {
    [ -f "$root1$clone/build/CPackConfig.cmake" ] || { echo "FAIL: no build/CPackConfig.cmake: the build was never configured"; return 1; }
    in_root "$root1" "cd $clone/build && cpack" 1800 || return 1
    local debs=("$root1$clone"/build/packages/clusterscope_*.deb)
    [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: expected one build/packages/clusterscope_*.deb"; return 1; }
    deb=$rundir/$(basename "${debs[0]}")
    cp "${debs[0]}" "$deb"
    echo "made $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
    dpkg-deb -f "$deb" Depends
}

# --- root 2: the .deb as a user gets it

do_deb_install() {
    file_list "$root2" >"$rundir/files.before-install"
    installed_packages "$root2" >"$rundir/packages.before-install"
    cp "$deb" "$root2/root/"
    in_root "$root2" "cd /root && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$(basename "$deb")" 1800 || return 1
    [ "$(chroot "$root2" dpkg-query -W -f='${db:Status-Abbrev}' clusterscope)" = "ii " ] || { echo "FAIL: clusterscope is not installed"; return 1; }
    installed_packages "$root2" >"$rundir/packages.after-install"
    note "deb install: $(footprint "$root2"), $(comm -13 "$rundir/packages.before-install" "$rundir/packages.after-install" | wc -l) packages more than minbase ($pristine_footprint)"
}

do_deb_run() {
    local version out
    version=$(dpkg-deb -f "$deb" Version)
    out=$(chroot "$root2" env -i PATH=$env_path clusterscope --version 2>&1)
    if [ "$out" = "clusterscope $version" ]; then echo "PASS: clusterscope --version: $out"; else echo "FAIL: clusterscope --version printed '$out', expected 'clusterscope $version'"; return 1; fi
    start_in_root "$root2" "exec clusterscope --headless --port 0 --workers 2 --json"
    check_headless_cluster "$current_log" 60 "$root2"
}

do_deb_remove() {
    chroot "$root2" dpkg -L clusterscope >"$rundir/clusterscope.files" || return 1
    in_root "$root2" "DEBIAN_FRONTEND=noninteractive apt-get remove -y clusterscope" 600 || return 1
    local status ok=1 path left=()
    status=$(chroot "$root2" dpkg-query -W -f='${db:Status-Abbrev}' clusterscope 2>/dev/null)
    echo "after remove: dpkg status '${status:-not known}'"
    if [ "$status" = "rc " ]; then
        note "deb remove: the package kept configuration files (status rc): purging"
        in_root "$root2" "DEBIAN_FRONTEND=noninteractive apt-get purge -y clusterscope" 600 || ok=0
    fi
    # No file the package installed is left; a directory only if it was there before the
    # install or another installed package owns it.
    while read -r path; do
        [ "$path" = /. ] && continue
        [ -e "$root2$path" ] || [ -L "$root2$path" ] || continue
        if [ -d "$root2$path" ] && [ ! -L "$root2$path" ]; then
            grep -qxF "$path" "$rundir/files.before-install" && continue
            chroot "$root2" dpkg-query -S "$path" >/dev/null 2>&1 && continue
        fi
        left+=("$path")
    done <"$rundir/clusterscope.files"
    if [ ${#left[@]} -eq 0 ]; then
        note "deb remove: none of the $(grep -vc '^/\.$' "$rundir/clusterscope.files") paths of dpkg -L clusterscope is left (shared directories aside)"
    else
        note "deb remove: LEFT BEHIND by clusterscope: ${left[*]}"
        ok=0
    fi
    file_list "$root2" >"$rundir/files.after-remove"
    owned_paths "$root2" >"$rundir/owned.after-remove"
    comm -13 "$rundir/files.before-install" "$rundir/files.after-remove" | comm -23 - "$rundir/owned.after-remove" \
        >"$logdir/unowned-after-remove.txt"
    note "deb remove: the dependencies stay installed ($(footprint "$root2")); files new since before the install that no installed package owns: $(wc -l <"$logdir/unowned-after-remove.txt") in $(by_directory "$logdir/unowned-after-remove.txt") (list in $logdir/unowned-after-remove.txt)"
    sed 's/^/   /' "$logdir/unowned-after-remove.txt" | head -n 30
    [ $ok -eq 1 ]
}

do_autoremove() {
    in_root "$root2" "DEBIAN_FRONTEND=noninteractive apt-get autoremove -y --purge" 600 || return 1
    installed_packages "$root2" >"$rundir/packages.after-autoremove"
    local extra missing
    extra=$(comm -13 "$rundir/packages.before-install" "$rundir/packages.after-autoremove" | tr '\n' ' ')
    missing=$(comm -23 "$rundir/packages.before-install" "$rundir/packages.after-autoremove" | tr '\n' ' ')
    file_list "$root2" >"$rundir/files.after-autoremove"
    comm -13 "$rundir/files.before-install" "$rundir/files.after-autoremove" >"$logdir/new-files-after-autoremove.txt"
    note "autoremove --purge: $(footprint "$root2"); packages still there that were not before the install: ${extra:-none}; packages gone that were there: ${missing:-none}; files new since before the install: $(wc -l <"$logdir/new-files-after-autoremove.txt"): $(tr '\n' ' ' <"$logdir/new-files-after-autoremove.txt" | cut -c1-400)"
    sed 's/^/   /' "$logdir/new-files-after-autoremove.txt" | head -n 30
}

# ---------------------------------------------------------------------------------------

echo "fresh-root-test: $repo (HEAD now $(git -C "$repo" rev-parse --short HEAD)); mirror $mirror ($suite, $arch); logs in $logdir" >&3
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "fresh-root-test: note: $repo has uncommitted changes; only what is committed is tested" >&3
fi
started=$SECONDS
tested="" deb="" pristine_footprint="" failed_tests=""
trap interrupted INT TERM HUP

if [ $refresh_cache -eq 1 ] || [ ! -f "$cache/info" ]; then
    step "debootstrap (into the cache)" make_cache
else
    skip "debootstrap (into the cache)" "cached $(sed -n 's/^made=//p' "$cache/info")"
fi
if [ ! -f "$cache/info" ]; then
    skip "root 1 (pristine copy)" "no cached root"
elif step "root 1 (pristine copy)" prepare_root 1; then
    pristine_footprint=$(footprint "$root1")
    note "minbase root: $pristine_footprint"
    if step "clone" do_clone; then
        step "run (README: installer/clusterscope.sh run)" do_run
        note "after run: $(footprint "$root1"); root $(du -smx --exclude="$root1$clone" "$root1" | cut -f1) MiB without the clone, clone+build $(du -sm "$root1$clone" | cut -f1) MiB"
        installed_packages "$root1" >"$logdir/packages-after-run.txt"
        if [ $skip_test -eq 1 ]; then
            skip "test (README: installer/clusterscope.sh test)" "--skip-test"
        else
            step "test (README: installer/clusterscope.sh test)" do_test
            test_log=$current_log
            note "after test: $(footprint "$root1"); root $(du -smx --exclude="$root1$clone" "$root1" | cut -f1) MiB without the clone, clone+builds $(du -sm "$root1$clone" | cut -f1) MiB"
            installed_packages "$root1" >"$logdir/packages-after-test.txt"
            # Tests that failed (ctest's list; a test retried and passed shows as ***Failed only).
            failed_tests=$(awk '/The following tests FAILED:/ { f = 1; next } f && /^[ \t]+[0-9]+ - / { print; next } { f = 0 }' "$test_log"
                grep -E '\*\*\*(Failed|Timeout|Exception)|== fuzz_.* FAILED' "$test_log")
        fi
        step "deb build (cd build && cpack)" do_deb_build
    else
        skip "run (README: installer/clusterscope.sh run)" "no clone"
    fi
    step "teardown root 1" teardown_root "$root1"
fi

if [ -n "$deb" ]; then
    if step "root 2 (pristine copy)" prepare_root 2; then
        step "deb install (apt-get install ./clusterscope_*.deb)" do_deb_install &&
            step "deb run (--version, headless cluster, GET /)" do_deb_run
        step "deb remove (apt-get remove, purge if needed)" do_deb_remove &&
            step "autoremove --purge" do_autoremove
        step "teardown root 2" teardown_root "$root2"
    fi
else
    skip "deb install" "no .deb"
fi

# ---------------------------------------------------------------------------------------

print_summary
for result in "${step_results[@]}"; do [ "$result" = FAIL ] && exit 1; done
exit 0
