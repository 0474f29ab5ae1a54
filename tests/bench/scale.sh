#!/bin/bash
# Many workers: start time, the master at rest, hand-off throughput at 2, 16, 64, 256 workers.
# Usage: tests/bench/scale.sh [--counts 2,16,64,256] [--reps N] [--seconds S] [--idle S] [--no-pin]   (needs wrk)
exec "$(dirname "$0")/guarded.sh" scale.py "$@"
