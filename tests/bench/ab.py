#!/usr/bin/env python3
"""Before and after in one run: two builds of Clusterscope (A and B) side by side.

  ab.sh cpu --a DIR --b DIR [--policy P] [--reps 7] [--seconds 3] [--no-nginx] [--cpu-quota PCT]
      requests per CPU-second with keep-alive and with a new connection per request, for A,
      B and nginx: each server (2 workers) in a cpuacct cgroup of its own on CPU 0, wrk -t1
      -c50 on CPU 1, rounds interleaved (each round runs every server once per mode), the
      ratios as medians over rounds of the ratio in the same round.
  ab.sh rest --a DIR --b DIR [--workers 256] [--window 20] [--reps 3]
      the master at rest: a cluster of each build up together (round-robin, snapshots every
      1 s, on CPU 0), the master's CPU over each window from /proc/PID/task/*/schedstat.

DIR is a build's app/ directory: clusterscope and clusterscope-worker. Run as root (cgroups).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the harness: servers, cgroups, wrk, CPU time)


def cluster(label, directory, policy, workers, logdir, cpus):
    c = run.Clusterscope(policy, cpus, logdir,
                         extra=["--worker-program", os.path.join(directory, "clusterscope-worker")])
    c.name = f"{label} {policy}"
    return c


def start(server, directory=None):
    if directory:
        saved, run.CLUSTERSCOPE = run.CLUSTERSCOPE, os.path.join(directory, "clusterscope")
        try:
            server.start()
        finally:
            run.CLUSTERSCOPE = saved
    else:
        server.start()


def cpu(args, logdir):
    servers = [cluster("A", args.a, args.policy, 2, logdir, "0"), cluster("B", args.b, args.policy, 2, logdir, "0")]
    dirs = [args.a, args.b]
    if not args.no_nginx:
        servers.append(run.Nginx("0", logdir))
        dirs.append(None)
    for s, d in zip(servers, dirs):
        start(s, d)
    per = {(s.name, m): [] for s in servers for m in ("keep-alive", "new-conn")}
    rates = {k: [] for k in per}
    for r in range(args.reps):
        for mode in ("new-conn", "keep-alive"):
            order = servers[r % len(servers):] + servers[:r % len(servers)]
            for s in order:
                before = s.cpu_ns()
                out = run.wrk(s.port, args.seconds, mode == "new-conn", "1")
                used = (s.cpu_ns() - before) / 1e9
                if out["errors"]:
                    raise RuntimeError(f"{s.name}: {out['errors']} errors in a {mode} round")
                per[(s.name, mode)].append(out["requests"] / used)
                rates[(s.name, mode)].append(out["rps"])
        run.log(f"round {r + 1} of {args.reps} done")
    peer = servers[-1].name
    print(f"ab cpu, {time.strftime('%Y-%m-%d %H:%M')}: A = {args.a}, B = {args.b}, policy {args.policy}, "
          f"{args.reps} x {args.seconds} s per server and mode"
          + (f", each server capped at {args.cpu_quota:g} % of a CPU" if args.cpu_quota else "")
          + f"; load average {run.loadavg()}")
    print(f"| server | mode | req/s (median) | req per CPU-s (median) | x {peer} (median of paired ratios) | range |")
    print("|---|---|---:|---:|---:|---|")
    for mode in ("keep-alive", "new-conn"):
        for s in servers:
            xs = per[(s.name, mode)]
            ratios = [a / b for a, b in zip(xs, per[(peer, mode)])]
            print(f"| {s.name} | {mode} | {statistics.median(rates[(s.name, mode)]):.0f} | {statistics.median(xs):.0f} "
                  f"| {statistics.median(ratios):.3f} | {min(ratios):.2f}-{max(ratios):.2f} |")


def rest(args, logdir):
    clusters = []
    for label, d in (("A", args.a), ("B", args.b)):
        c = cluster(label, d, "round-robin", args.workers, logdir, "0")
        c.extra += ["--interval", "1000"]
        clusters.append((c, d))
    saved = run.WORKERS
    run.WORKERS = args.workers
    try:
        for c, d in clusters:
            start(c, d)
    finally:
        run.WORKERS = saved
    time.sleep(3)
    results = {c.name: [] for c, _ in clusters}
    for r in range(args.reps):
        t0 = time.monotonic()
        ns0 = {c.name: run.cpu_ns(c.master_pid) for c, _ in clusters}
        time.sleep(args.window)
        elapsed = time.monotonic() - t0
        for c, _ in clusters:
            results[c.name].append((run.cpu_ns(c.master_pid) - ns0[c.name]) / 1e9 / elapsed * 100)
        run.log(f"window {r + 1}: " + ", ".join(f"{n} {v[-1]:.3f} %" for n, v in results.items()))
    print(f"ab rest, {time.strftime('%Y-%m-%d %H:%M')}: {args.workers} workers each, A = {args.a}, B = {args.b}, "
          f"{args.reps} windows of {args.window:.0f} s; load average {run.loadavg()}")
    for name, values in results.items():
        print(f"  master CPU at rest, {name.split()[0]}: median {statistics.median(values):.3f} % of a core "
              f"({', '.join(f'{v:.3f}' for v in values)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("cpu", "rest"))
    ap.add_argument("--a", required=True, help="the 'before' build's app/ directory")
    ap.add_argument("--b", default=os.path.join(run.BUILD, "app"), help="the 'after' one (default: build/app)")
    ap.add_argument("--policy", default="reuseport")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("--workers", type=int, default=256)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--cpu-quota", type=float, default=None,
                    help="cpu: cap each server at this percent of one CPU (CFS quota), so it runs saturated")
    args = ap.parse_args()
    if args.cpu_quota is not None and not 1 <= args.cpu_quota <= 100:
        raise RuntimeError("--cpu-quota is a percent of one CPU, 1-100")
    run.CPU_QUOTA = args.cpu_quota
    for d in (args.a, args.b):
        for name in ("clusterscope", "clusterscope-worker"):
            if not os.access(os.path.join(d, name), os.X_OK):
                raise RuntimeError(f"{os.path.join(d, name)} is not an executable; give a build's app/ directory")
    if args.reps is None:
        args.reps = 7 if args.what == "cpu" else 3
    logdir = run.tempfile.mkdtemp(prefix="clusterscope-ab.")
    try:
        (cpu if args.what == "cpu" else rest)(args, logdir)
    finally:
        run.kill_all()
        run.shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    run.run_main(main, "ab.py")
