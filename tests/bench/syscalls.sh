#!/bin/bash
# Syscalls per request and per connection: Clusterscope's policies and nginx, side by side.
# Usage: tests/bench/syscalls.sh [--seconds S] [--no-pin]   (needs strace, wrk, nginx)
exec "$(dirname "$0")/guarded.sh" syscalls.py "$@"
