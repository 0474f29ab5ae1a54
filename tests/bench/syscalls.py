#!/usr/bin/env python3
"""Syscalls per request (keep-alive) and per connection (Connection: close), Clusterscope's
four policies and nginx side by side in one run, as a table. Run it through syscalls.sh.

For every server and mode: `strace -c` attached to the master and, separately, to all its
workers, while `wrk -t1 -c50` runs for a few seconds; each count is divided by the requests
wrk completed meanwhile (a request is a connection under Connection: close). strace slows
the servers several times over, so the rates mean nothing here; the counts per request do.
`round-robin N=1` is round-robin with one descriptor per hand-off message
(CLUSTERSCOPE_HANDOFF_BATCH=1): the hand-off before batching, in the same run.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the harness: servers, process groups, wrk)


def strace_counts(path):
    """{syscall: (calls, errors)} from an `strace -c` summary."""
    counts = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) not in (5, 6):
                continue
            name = parts[-1]
            if name == "total" or not re.match(r"^[a-z_0-9]+$", name):
                continue
            try:
                calls = int(parts[3])
                errors = int(parts[4]) if len(parts) == 6 else 0
            except ValueError:
                continue
            counts[name] = (calls, errors)
    return counts


def traced(server, mode, seconds, wrk_cpus, tmp):
    """One wrk run with strace on the master and on the workers; per-request counts of each."""
    workers = server.worker_pids()
    files = {"master": os.path.join(tmp, "master"), "workers": os.path.join(tmp, "workers")}
    procs = []
    for who, pids in (("master", [server.master_pid]), ("workers", workers)):
        cmd = ["strace", "-c", "-o", files[who]]
        for p in pids:
            # Every thread: the master's event loop is not its main thread.
            for tid in os.listdir(f"/proc/{p}/task"):
                cmd += ["-p", tid]
        procs.append(subprocess.Popen(cmd, stderr=subprocess.DEVNULL))
    time.sleep(0.5)  # strace attaches
    r = run.wrk(server.port, seconds, mode == "close", wrk_cpus)
    for p in procs:
        p.send_signal(signal.SIGINT)
    for p in procs:
        p.wait(timeout=30)
    n = max(r["requests"], 1)
    out = {}
    for who, path in files.items():
        c = strace_counts(path)
        out[who] = {name: (calls / n, errors / n) for name, (calls, errors) in c.items()}
    return n, out


def fmt(per):
    """'accept4 1.00, sendmsg 0.06 (0.01 err), ...' ordered by count, small ones left out."""
    items = sorted(per.items(), key=lambda kv: -kv[1][0])
    parts = []
    for name, (calls, errors) in items:
        if calls < 0.005:
            continue
        e = f" ({errors:.2f} err)" if errors >= 0.005 else ""
        parts.append(f"{name} {calls:.2f}{e}")
    return ", ".join(parts) or "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--no-pin", action="store_true")
    args = ap.parse_args()
    server_cpus, wrk_cpus = (None, None) if args.no_pin else ("0", "1")
    tmp = tempfile.mkdtemp(prefix="clusterscope-syscalls.")
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    for name in ("clusterscope", "clusterscope-worker"):
        shutil.copy2(os.path.join(run.BUILD, "app", name), bindir)
    run.CLUSTERSCOPE = os.path.join(bindir, "clusterscope")

    servers = []
    for policy in run.POLICIES:
        servers.append(run.Clusterscope(policy, server_cpus, tmp))
    unbatched = run.Clusterscope("round-robin", server_cpus, tmp)
    unbatched.name = "clusterscope round-robin N=1"
    servers.append(unbatched)
    servers.append(run.Nginx(server_cpus, tmp))
    load_before = run.loadavg()
    rows = []
    try:
        for s in servers:
            if s is unbatched:
                os.environ["CLUSTERSCOPE_HANDOFF_BATCH"] = "1"
            try:
                s.start()
            finally:
                os.environ.pop("CLUSTERSCOPE_HANDOFF_BATCH", None)
        for mode in ("ka", "close"):
            for s in servers:
                n, per = traced(s, mode, args.seconds, wrk_cpus, tmp)
                total_m = sum(c for c, _ in per["master"].values())
                total_w = sum(c for c, _ in per["workers"].values())
                rows.append((s.name, mode, n, total_m, total_w, per))
                run.log(f"{s.name} {mode}: {n} requests, {total_m:.2f} + {total_w:.2f} syscalls per request")
    finally:
        run.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"Syscalls per request, strace -c over {args.seconds:g} s of wrk -t1 -c50 per server and mode, "
          f"2 workers{'' if args.no_pin else ', servers on CPU 0, wrk on CPU 1'}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"load average before {load_before}, after {run.loadavg()}")
    print()
    print("| server | mode | requests | master | workers | total | master's calls | workers' calls |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for name, mode, n, tm, tw, per in rows:
        label = "keep-alive, per request" if mode == "ka" else "new connection, per connection"
        print(f"| {name} | {label} | {n} | {tm:.2f} | {tw:.2f} | {tm + tw:.2f} | {fmt(per['master'])} "
              f"| {fmt(per['workers'])} |")


if __name__ == "__main__":
    run.run_main(main, "syscalls.py")
