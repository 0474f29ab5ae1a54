#!/bin/bash
# An hour without growth (issue 15): mixed load, a worker killed every minute, a rolling
# restart every ten, memory and descriptors sampled every 10 s. Usage:
#   tests/bench/soak.sh [--minutes 60] [--policy round-robin] [--png soak.png] [--json soak.json]
# Needs a build in ../../build (or CLUSTERSCOPE_BUILD) and ImageMagick for --png.
exec "$(dirname "$0")/guarded.sh" soak.py "$@"
