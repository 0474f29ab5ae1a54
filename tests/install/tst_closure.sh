#!/usr/bin/env bash
# The install closure: every Debian package that owns a file this build used must be installed
# by `installer/bootstrap.sh test`, named there or reached through the Depends/Pre-Depends of a
# package named there. Otherwise a fresh Debian 12 machine fails where this one, which has
# more installed, passes (Qt6Charts' config needs Qt6OpenGL, which qt6-charts-dev does not
# pull in).
#
# The files used, from the build's own records (a build must have run):
#   - the package configs find_package read (CMakeCache's NAME_DIR entries: NAMEConfig.cmake there)
#   - every header the compiler read outside the source and build trees (ninja -t deps)
#   - the libraries the link lines name by absolute path (build.ninja's LINK_LIBRARIES)
#   - every shared library the built executables load (ldd)
#   - the tools CMakeCache names: compiler, ninja, cmake/ctest/cpack, and the other programs
#     it found (binutils, pkg-config, dpkg-shlibdeps, gzip)
# What debootstrap's minbase installs (the Essential and Priority: required packages, apt,
# usr-is-merged, and their dependencies) counts as present: no Debian 12 system has less.
# (Checked once by hand: the 88 packages this computes are debootstrap --variant=minbase
# --print-debs bookworm's, and the list's closure is what apt-get -s install adds in such a root,
# but for upgrades and a nodejs from outside Debian.)
#
# usage: tst_closure.sh BUILD_DIR [PACKAGE_LIST_FILE]
#   PACKAGE_LIST_FILE (one package a line) replaces `bootstrap.sh --list test`, e.g. to check
#   an older list. Needs dpkg-query, apt-cache, ninja and ldd; caches nothing.
set -uo pipefail

die() { echo "FAIL: $*" >&2; exit 1; }

build=$(realpath -e "${1:?usage: tst_closure.sh BUILD_DIR [PACKAGE_LIST_FILE]}") || die "no build directory $1"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$build/CMakeCache.txt
[ -f "$cache" ] || die "no CMakeCache.txt in $build; configure and build the project first"
for tool in dpkg-query apt-cache ldd realpath awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-closure.XXXXXX") || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n1; }
# The trees as the build named them (a checkout reached through a symlink keeps the link in
# its paths: cmake -S "$(pwd)") and as they are on disk: a path under either is the project's.
# (Neither may be empty: "/" would count every file as the project's.)
source_named=$(cache_value CMAKE_HOME_DIRECTORY)
[ -n "$source_named" ] || die "CMakeCache.txt names no CMAKE_HOME_DIRECTORY"
source_named=$(realpath -m -s "$source_named")
source_dir=$(realpath -m "$source_named")
build_named=$(sed -n 's/^# For build in directory: //p' "$cache" | head -n1)
build_named=$(realpath -m -s "${build_named:-$build}")
ninja=$(cache_value CMAKE_MAKE_PROGRAM)
[ -x "$ninja" ] || die "CMAKE_MAKE_PROGRAM '$ninja' is not a program"

if [ -n "${2:-}" ]; then
    source_of_list=$2
    grep -v '^[[:space:]]*\(#\|$\)' "$2" >"$tmp/list" || die "no packages in $2"
else
    source_of_list="installer/bootstrap.sh test"
    "$here/../../installer/bootstrap.sh" --list test >"$tmp/list" || die "installer/bootstrap.sh --list test failed"
fi
echo "checking against $(wc -l <"$tmp/list") packages: $(tr '\n' ' ' <"$tmp/list")"

# --- the files used: "path<TAB>how it was used", absolute paths outside the source and build trees
outside() {
    awk -v s="$source_dir/" -v b="$build/" -v sn="$source_named/" -v bn="$build_named/" \
        'index($1, "/") == 1 && index($1, s) != 1 && index($1, b) != 1 && index($1, sn) != 1 && index($1, bn) != 1'
}
used=$tmp/used

# Package configs: find_package(NAME) records NAME_DIR and read NAMEConfig.cmake or
# name-config.cmake there (a directory may hold other packages' files: Qt6Gui's plugin configs).
sed -n 's/^\([A-Za-z0-9_.+-]*\)_DIR:PATH=\(.*\)$/\1\t\2/p' "$cache" | while IFS=$'\t' read -r name dir; do
    for config in "$dir/${name}Config.cmake" "$dir/${name,,}-config.cmake"; do
        [ -f "$config" ] && printf '%s\tfind_package(%s) read it\n' "$config" "$name"
    done
done | outside >"$used"

# Headers the compiler read.
"$ninja" -C "$build" -t deps >"$tmp/deps" 2>"$tmp/deps.err" || { cat "$tmp/deps.err" >&2; die "ninja -t deps failed"; }
awk '/^    \// { print $1 }' "$tmp/deps" | sort -u >"$tmp/headers"
[ -s "$tmp/headers" ] || die "ninja -t deps names no header outside the build: build the project first"
# Lexical clean-up only (gcc's .../12/../../../../include/c++/12); symlinks are followed later.
xargs -r -d '\n' realpath -m -s -- <"$tmp/headers" | sort -u | sed 's/$/\tthe compiler read it/' | outside >>"$used"

# Libraries the link lines name by path (the development symlinks ldd never sees).
grep -E '^ +LINK_LIBRARIES = ' "$build/build.ninja" | tr ' ' '\n' | grep -E '^/.*\.(so|a)(\.[0-9.]+)?$' | sort -u \
    | sed 's/$/\tthe linker read it/' | outside >>"$used"

# Shared libraries the built executables load.
executables=0
while IFS= read -r -d '' file; do
    LC_ALL=C read -r -n4 magic <"$file" 2>/dev/null || continue
    [ "$magic" = $'\x7fELF' ] || continue
    executables=$((executables + 1))
    ldd "$file" 2>/dev/null | awk -v exe="${file#"$build"/}" '
        /=> not found/ { print $1 "\tnot found by ldd for " exe; next }
        /=> \// { print $3 "\tldd " exe; next }
        $1 ~ /^\// { print $1 "\tldd " exe }'
done < <(find "$build" -path '*/CMakeFiles' -prune -o -type f -perm -u+x -print0) >"$tmp/ldd"
[ $executables -gt 0 ] || die "no executables in $build: build the project first"
if grep -q 'not found by ldd' "$tmp/ldd"; then
    grep 'not found by ldd' "$tmp/ldd" | sort -u -k1,1 >&2
    die "libraries the executables need are not installed (above)"
fi
sort -u -k1,1 "$tmp/ldd" | outside >>"$used"

# Tools: the compiler, ninja, cmake and its siblings, and every other program the cache found.
for key in CMAKE_COMMAND CMAKE_CTEST_COMMAND CMAKE_CPACK_COMMAND CMAKE_C_COMPILER CMAKE_CXX_COMPILER CMAKE_MAKE_PROGRAM; do
    tool=$(cache_value "$key")
    [ -n "$tool" ] && printf '%s\tCMakeCache %s\n' "$tool" "$key"
done | outside >>"$used"
sed -n 's/^\([A-Za-z0-9_]*\):FILEPATH=\(\/.*\)$/\2\t\1/p' "$cache" | while IFS=$'\t' read -r tool key; do
    real=$(realpath -e "$tool" 2>/dev/null) || continue
    # Libraries found on the way (FindOpenGL's GLU, say) are not tools; the link lines above
    # say which libraries were really used.
    case "$real" in *.so | *.so.* | *.a) continue ;; esac
    [ -x "$real" ] && printf '%s\tCMakeCache %s\n' "$tool" "$key"
done | outside >>"$used"

sort -u -k1,1 "$used" -o "$used"
echo "$(wc -l <"$used") files used ($(grep -c 'compiler read' "$used") headers, $executables executables checked with ldd)"

# --- who owns them. dpkg knows a file by the path its package ships (Debian 12 merges /lib
# into /usr/lib, but libc6 still ships /lib/...): ask for the raw path, the resolved one, and
# the /usr-less or /usr-prefixed twin of each.
cut -f1 "$used" >"$tmp/paths"
xargs -r -d '\n' realpath -m -- <"$tmp/paths" | paste "$tmp/paths" - | awk -F'\t' '
    function twin(p) {
        if (p ~ /^\/usr\/(s?bin|lib(64|32|x32)?)\//) return substr(p, 5)
        if (p ~ /^\/(s?bin|lib(64|32|x32)?)\//) return "/usr" p
        return ""
    }
    { for (i = 1; i <= 2; i++) { print $1 "\t" $i; t = twin($i); if (t != "") print $1 "\t" t } }' \
    | sort -u >"$tmp/candidates"
cut -f2 "$tmp/candidates" | sort -u | xargs -r -d '\n' dpkg-query -S -- 2>/dev/null \
    | grep -v '^diversion ' | sed 's/: \//\t\//' >"$tmp/owned"
# candidate -> owners (arch suffixes dropped), then path -> the owners of all its candidates
awk -F'\t' '
    FILENAME == ARGV[1] { n = split($1, owners, ", "); for (i = 1; i <= n; i++) { sub(/:.*/, "", owners[i]); own[$2] = own[$2] " " owners[i] } next }
    ($2 in own) { owners_of[$1] = owners_of[$1] own[$2] }
    END { for (path in owners_of) print path "\t" owners_of[path] }' "$tmp/owned" "$tmp/candidates" >"$tmp/path-owners"

# --- what the list installs on a minimal Debian 12. debootstrap's minbase, the smallest there
# is, installs the Essential and Priority: required packages, apt, and on bookworm
# usr-is-merged (its debian-common script), with their dependencies: that much is present.
# The priority that counts is the archive's (apt-cache show): an installed package's own
# control file may say otherwise (sensible-utils says required, the archive important).
dpkg-query -W -f='${Package} ${Essential} ${Priority}\n' | awk '$2 == "yes" || $3 == "required" { print $1 }' \
    | xargs -r apt-cache show 2>/dev/null \
    | awk '/^Package: / { p = $2 } /^Priority: required$/ || /^Essential: yes$/ { print p }' >"$tmp/base"
printf '%s\n' apt usr-is-merged >>"$tmp/base"
sort -u "$tmp/base" -o "$tmp/base"
cat "$tmp/list" "$tmp/base" | xargs -r apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances >"$tmp/apt" 2>"$tmp/apt.err"
unknown=$(awk 'NR == FNR { known[$1] = 1; next } !($1 in known)' <(grep -v '^ ' "$tmp/apt") "$tmp/list")
[ -z "$unknown" ] || die "apt does not know these listed packages: $unknown"
# Walks the graph from the packages in $2 the way apt resolves it, the packages in $1 being
# there already: a dependency group is met when one of its alternatives (or a provider of one)
# is there or already chosen; otherwise apt takes the first alternative, and for a virtual one
# (<name>) the first provider listed. Arch qualifiers (:any, :amd64) are dropped. Prints what
# it adds.
walk() {
    awk '
    function strip(name) { gsub(/[<>]/, "", name); sub(/:.*/, "", name); return name }
    FILENAME == ARGV[1] { present[$1] = 1; next }
    FILENAME == ARGV[2] { wanted[++nwanted] = $1; next }
    /^[^ ]/ { pkg = strip($1); open = 0; next }
    /^ [ |][A-Za-z-]+: / {
        if (!open) { group = ++ngroups[pkg]; nalt[pkg, group] = 0 }
        alt = ++nalt[pkg, group]
        name[pkg, group, alt] = strip($2)
        virtual[pkg, group, alt] = $2 ~ /^</
        open = substr($0, 2, 1) == "|"
        next
    }
    /^    [^ ]/ { providers[pkg, group, alt] = providers[pkg, group, alt] " " strip($1) }
    function have(n) { return (n in present) || (n in chosen) }
    function choose(n) { if (!have(n)) { chosen[n] = 1; queue[++tail] = n } }
    END {
        for (i = 1; i <= nwanted; i++) choose(wanted[i])
        for (head = 1; head <= tail; head++) {
            p = queue[head]
            for (g = 1; g <= ngroups[p]; g++) {
                met = 0
                for (a = 1; a <= nalt[p, g] && !met; a++) {
                    met = have(name[p, g, a])
                    k = split(providers[p, g, a], prov, " ")
                    for (j = 1; j <= k && !met; j++) met = have(prov[j])
                }
                if (met) continue
                if (virtual[p, g, 1]) { split(providers[p, g, 1], prov, " "); choose(prov[1]) }
                else choose(name[p, g, 1])
            }
        }
        for (n in chosen) print n
    }' "$1" "$2" "$tmp/apt" | sort -u
}
walk /dev/null "$tmp/base" >"$tmp/present"
walk "$tmp/present" "$tmp/list" >"$tmp/closure"
echo "the list installs $(wc -l <"$tmp/closure") packages beyond the $(wc -l <"$tmp/present") of a minbase system"

# --- every used file must be owned by a package in the closure or present
awk -F'\t' '
    FILENAME == ARGV[1] { have[$1] = 1; next }
    FILENAME == ARGV[2] { how[$1] = $2; next }
    {
        n = split($2, owners, " "); ok = 0
        for (i = 1; i <= n; i++) if (owners[i] in have) ok = 1
        owned[$1] = 1
        if (!ok && !(owners[1] in example)) example[owners[1]] = $1 " (" how[$1] ")"
    }
    END {
        for (p in how) if (!(p in owned)) print "UNOWNED\t" p " (" how[p] ")"
        for (o in example) print "MISSING\t" o "\t" example[o]
    }' <(cat "$tmp/closure" "$tmp/present") "$used" "$tmp/path-owners" | sort >"$tmp/verdict"

status=0
if grep -q '^UNOWNED' "$tmp/verdict"; then
    echo "FAIL: no Debian package owns these files the build used, so a fresh machine lacks them:" >&2
    grep '^UNOWNED' "$tmp/verdict" | cut -f2 | sed 's/^/    /' >&2
    status=1
fi
if grep -q '^MISSING' "$tmp/verdict"; then
    echo "FAIL: the build used files of packages that $source_of_list does not install:" >&2
    grep '^MISSING' "$tmp/verdict" | awk -F'\t' '{ print "    " $2 "   e.g. " $3 }' >&2
    status=1
fi
[ $status -eq 0 ] && echo "PASS: every file the build used belongs to a package that $source_of_list installs"
exit $status
