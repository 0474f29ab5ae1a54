#!/bin/bash
# Before and after in one run: two builds side by side (CPU per request against nginx, or the master at rest).
# Usage: tests/bench/ab.sh cpu|rest --a OLD/app [--b NEW/app] [options]   (see ab.py --help; needs wrk, nginx, root)
exec "$(dirname "$0")/guarded.sh" ab.py "$@"
