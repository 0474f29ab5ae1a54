#!/usr/bin/env python3
"""Many workers: the built-in worker under round-robin at 2, 16, 64 and 256 workers on this
machine. Run it through scale.sh.

- start -> every slot online: a cluster started with --interval 50; the `uptime` of the first
  JSON snapshot in which every slot is online (so to within 50 ms), and the wall time from
  starting the process to reading it;
- the master at rest: CPU over --idle seconds (the scheduler's run time of its threads,
  /proc/PID/task/*/schedstat) with the
  default snapshot interval (1 s), and the median `master.sampleMicros` of those snapshots
  (the master's /proc reads and the snapshot build); its fd count and RSS;
- hand-off throughput with a new connection per request: wrk -t1 -c50 -H 'Connection:
  close', servers on CPU 0 and wrk on CPU 1 (as run.py), rounds interleaved over the worker
  counts, each count's rate divided by the 2-worker rate of the same round (median of those
  ratios), the master's and the whole cluster's (a cpuacct cgroup each) CPU-seconds per 10k
  connections, and context switches per connection. The same clusters with
  CLUSTERSCOPE_HANDOFF_BATCH=1 (one socket per hand-off message) give the batching's
  before/after in the same rounds.
"""

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


class Cluster:
    def __init__(self, workers, cpus, logdir, interval=1000, batch=None):
        self.workers = workers
        self.cpus = cpus
        self.logdir = logdir
        self.interval = interval
        self.batch = batch
        self.name = f"{workers} workers" + (f", N={batch}" if batch else "")
        self.lines = queue.Queue()
        self.snapshots = []
        self.proc = None
        self.port = None
        self.started = None
        self.cgroup = None

    @property
    def master_pid(self):
        return self.proc.pid

    def worker_pids(self):
        return run.children(self.master_pid)

    def start(self):
        err = open(os.path.join(self.logdir, f"scale-{self.workers}-{self.batch}-{self.interval}.log"), "w")
        env = dict(os.environ)
        if self.batch:
            env["CLUSTERSCOPE_HANDOFF_BATCH"] = str(self.batch)
        cmd = [run.CLUSTERSCOPE, "--headless", "--port", "0", "--json", "--workers", str(self.workers),
               "--policy", "round-robin", "--interval", str(self.interval)]
        self.started = time.monotonic()
        self.cgroup = run.make_cgroup(self.name)
        self.proc = run.spawn(cmd, self.cpus, cgroup=self.cgroup, stdout=subprocess.PIPE, stderr=err, text=True,
                              env=env)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                snap = json.loads(line)
            except ValueError:
                continue
            snap["_read_at"] = time.monotonic()
            self.snapshots.append(snap)
            self.lines.put(snap)

    def wait_online(self, timeout):
        """The first snapshot with every slot online (or a RuntimeError)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                snap = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name}: the master exited with {self.proc.returncode}")
                continue
            self.port = int(snap["port"])
            ws = snap.get("workers", [])
            if len(ws) == self.workers and all(w["state"] == "online" for w in ws):
                return snap
        raise RuntimeError(f"{self.name}: not every slot online within {timeout} s")

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def measure_start(counts, cpus, logdir):
    out = {}
    for n in counts:
        c = Cluster(n, cpus, logdir, interval=50)
        c.start()
        snap = c.wait_online(120)
        out[n] = {"uptime": snap["uptime"], "wall": snap["_read_at"] - c.started}
        c.stop()
        run.log(f"start, {n} workers: every slot online at uptime {snap['uptime']:.3f} s")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counts", default="2,16,64,256")
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--no-pin", action="store_true")
    args = ap.parse_args()
    counts = [int(x) for x in args.counts.split(",")]
    cpus, wrk_cpus = (None, None) if args.no_pin else ("0", "1")
    tmp = tempfile.mkdtemp(prefix="clusterscope-scale.")
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    for name in ("clusterscope", "clusterscope-worker"):
        shutil.copy2(os.path.join(run.BUILD, "app", name), bindir)
    run.CLUSTERSCOPE = os.path.join(bindir, "clusterscope")
    load_before = run.loadavg()
    try:
        start = measure_start(counts, cpus, tmp)
        clusters = [Cluster(n, cpus, tmp) for n in counts]
        base, wide = counts[0], counts[-2] if len(counts) > 2 else counts[-1]
        clusters += [Cluster(base, cpus, tmp, batch=1), Cluster(wide, cpus, tmp, batch=1)]
        for c in clusters:
            c.start()
        for c in clusters:
            c.wait_online(120)
        time.sleep(2)
        # At rest, every cluster in the same window.
        t0 = time.monotonic()
        ns0 = {c.name: run.cpu_ns(c.master_pid) for c in clusters}
        wns0 = {c.name: sum(run.cpu_ns(p) for p in c.worker_pids()) for c in clusters}
        seen = {c.name: len(c.snapshots) for c in clusters}
        time.sleep(args.idle)
        elapsed = time.monotonic() - t0
        idle = {}
        for c in clusters:
            cpu = (run.cpu_ns(c.master_pid) - ns0[c.name]) / 1e9 / elapsed * 100
            wcpu = (sum(run.cpu_ns(p) for p in c.worker_pids()) - wns0[c.name]) / 1e9 / elapsed * 100
            micros = [s["master"].get("sampleMicros", 0) for s in c.snapshots[seen[c.name]:]]
            idle[c.name] = {"cpu": cpu, "workers_cpu": wcpu, "sample_us": statistics.median(micros) if micros else 0,
                            "sample_us_max": max(micros) if micros else 0, "fds": run.fd_count(c.master_pid),
                            "rss_mib": run.rss_kib(c.master_pid) / 1024}
            run.log(f"idle {c.name}: master {cpu:.2f} % of a core, sample {idle[c.name]['sample_us']} us")
        # Throughput with a new connection per request, rounds interleaved.
        rates = {c.name: [] for c in clusters}
        ratios = {c.name: [] for c in clusters}
        master_s_per_10k = {c.name: [] for c in clusters}
        cluster_s_per_10k = {c.name: [] for c in clusters}
        switches_per_conn = {c.name: [] for c in clusters}
        for rep in range(args.reps):
            order = clusters[rep % len(clusters):] + clusters[:rep % len(clusters)]
            got = {}
            for c in order:
                pids = [c.master_pid] + c.worker_pids()
                m0, a0, x0 = run.cpu_ns(c.master_pid), run.cgroup_ns(c.cgroup) if c.cgroup else 0, \
                    sum(run.context_switches(p) for p in pids)
                r = run.wrk(c.port, args.seconds, True, wrk_cpus)
                m1, a1, x1 = run.cpu_ns(c.master_pid), run.cgroup_ns(c.cgroup) if c.cgroup else 0, \
                    sum(run.context_switches(p) for p in pids)
                got[c.name] = r["rps"]
                rates[c.name].append(r["rps"])
                if r["requests"]:
                    master_s_per_10k[c.name].append((m1 - m0) / 1e9 / r["requests"] * 10000)
                    cluster_s_per_10k[c.name].append((a1 - a0) / 1e9 / r["requests"] * 10000)
                    switches_per_conn[c.name].append((x1 - x0) / r["requests"])
                if r["errors"]:
                    run.log(f"{c.name}: {r['errors']} errors in round {rep + 1}")
            for c in clusters:
                ratios[c.name].append(got[c.name] / max(got[clusters[0].name], 1))
            run.log(f"round {rep + 1}: " + ", ".join(f"{k} {v:.0f}" for k, v in got.items()))
        after = {c.name: {"fds": run.fd_count(c.master_pid), "rss_mib": run.rss_kib(c.master_pid) / 1024,
                          "worker_fds": sorted({run.fd_count(p) for p in c.worker_pids()})} for c in clusters}
        for c in clusters:
            c.stop()
    finally:
        run.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)

    p = print
    p(f"Clusterscope at many workers — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, round-robin, "
      f"built-in worker{'' if args.no_pin else ', servers on CPU 0, wrk on CPU 1'}")
    p(f"load average before {load_before}, after {run.loadavg()}")
    p()
    p("| workers | start -> all online (uptime / wall) | master CPU at rest | workers' CPU at rest (sum) "
      "| sample (median / max) | master fds / RSS at rest | after the load |")
    p("|---:|---|---:|---:|---|---|---|")
    for c in clusters:
        if c.batch:
            continue
        s, i, a = start[c.workers], idle[c.name], after[c.name]
        p(f"| {c.workers} | {s['uptime']:.3f} s / {s['wall']:.3f} s | {i['cpu']:.2f} % | {i['workers_cpu']:.1f} % "
          f"| {i['sample_us']:.0f} / {i['sample_us_max']:.0f} us | {i['fds']} / {i['rss_mib']:.1f} MiB "
          f"| {a['fds']} / {a['rss_mib']:.1f} MiB, worker fds {a['worker_fds']} |")
    p()
    p(f"Hand-off, new connection per request (wrk -t1 -c50 -H 'Connection: close', {args.reps} rounds of "
      f"{args.seconds:g} s, interleaved):")
    p()
    p(f"| cluster | req/s (median) | x {clusters[0].name} (median of paired ratios) | master CPU-s per 10k connections "
      "| whole cluster's CPU-s per 10k connections (cgroup) | context switches per connection (master + workers) |")
    p("|---|---:|---:|---:|---:|---:|")

    def med(xs):
        return statistics.median(xs) if xs else 0

    for c in clusters:
        p(f"| {c.name} | {med(rates[c.name]):.0f} | {med(ratios[c.name]):.3f} | {med(master_s_per_10k[c.name]):.3f} "
          f"| {med(cluster_s_per_10k[c.name]):.3f} | {med(switches_per_conn[c.name]):.2f} |")


if __name__ == "__main__":
    run.run_main(main, "scale.py")
