#!/usr/bin/env bash
# Takes the lab's README screenshots from real runs under Xvfb: the policy comparison and a
# lesson's verdict, at 1600x1000 and 1024x700. Builds nothing (ninja -C BUILD cs-labshot).
# Usage: tests/ui/labshot.sh BUILD_DIR [LESSON-ID]
set -euo pipefail

build=$(cd "${1:?usage: $0 BUILD_DIR [LESSON-ID]}" && pwd)
lesson=${2:-keepalive-sticks}
here=$(cd "$(dirname "$0")" && pwd)
outdir=$here/../../resources/screenshots
shot=$build/tests/ui/cs-labshot
[[ -x $shot ]] || { echo "no $shot: build the cs-labshot target first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Fresh settings and runs, so the shots do not depend on whoever ran the window before.
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export CS_BIN_DIR=$build/app
for size in 1600x1000 1024x700; do
    xvfb-run -a -s "-screen 0 ${size}x24" "$shot" compare "$outdir/lab-compare-$size.png"
    xvfb-run -a -s "-screen 0 ${size}x24" "$shot" "$lesson" "$outdir/lab-lesson-$size.png"
done
