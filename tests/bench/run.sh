#!/bin/bash
# Clusterscope against Node.js cluster and nginx, measured side by side in one run.
# Usage: tests/bench/run.sh [--quick] [--reps N] [--seconds S] [--no-pin] [--json FILE]
# Needs wrk, node, nginx (Debian packages) and a build in ../../build (or CLUSTERSCOPE_BUILD).
exec "$(dirname "$0")/guarded.sh" run.py "$@"
