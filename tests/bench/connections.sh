#!/bin/bash
# 10,000 concurrent keep-alive connections to 2 workers (issue 15): served twice with zero
# errors, and the memory per idle connection next to nginx's measured the same way. Usage:
#   tests/bench/connections.sh [--connections 10000] [--policies round-robin,shared]
# Needs nginx and a build in ../../build (or CLUSTERSCOPE_BUILD); the open-files hard limit
# must allow the connections (it is 20000 here).
exec "$(dirname "$0")/guarded.sh" connections.py "$@"
