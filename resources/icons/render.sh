#!/usr/bin/env bash
# Renders the PNG sizes of the icon from clusterscope.svg after it changes (the PNGs are
# committed so a build needs no SVG tools). Needs rsvg-convert: apt-get install librsvg2-bin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for size in 16 22 24 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" clusterscope.svg -o "clusterscope-$size.png"
done
