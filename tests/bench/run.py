#!/usr/bin/env python3
"""Clusterscope against its peers (Node.js cluster, nginx) on this machine, in one run.

Throughput (wrk, keep-alive and Connection: close), fairness (Jain's index over the
X-Worker header), respawn time, the master's CPU and fd count under round-robin hand-off,
and memory. Every number that is compared is measured in this run: the servers are kept
up side by side and the load alternates between them, so a busy machine slows all of them
alike. Python standard library only; run it through run.sh.
"""

import argparse
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("CLUSTERSCOPE_BUILD", os.path.join(ROOT, "build")))
CLUSTERSCOPE = os.path.join(BUILD, "app", "clusterscope")
CLUSTERSCOPE_LOAD = os.path.join(BUILD, "app", "clusterscope-load")
WORKERS = 2
CONNECTIONS = 50
POLICIES = ["round-robin", "least-connections", "shared", "reuseport"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
CPUACCT = "/sys/fs/cgroup/cpuacct"

# Process groups started here; run.sh kills whatever is left in this file if we die hard.
PGID_FILE = os.environ.get("BENCH_PGID_FILE")
_groups = []


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    """A port nobody listens on right now (the kernel's pick for port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(cmd, cpus, cgroup=None, **kw):
    """Starts cmd in its own process group (so its workers die with it), pinned to cpus, and
    in cgroup (a directory made by make_cgroup) before it runs, so every process it forks
    is counted there too."""
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    for group in ([cgroup] if cgroup else []) + ([_capped[cgroup]] if cgroup in _capped else []):
        cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', group] + cmd
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    _groups.append(p.pid)
    if PGID_FILE:
        with open(PGID_FILE, "a") as f:
            f.write(f"{p.pid}\n")
    return p


def kill_all():
    for pgid in _groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _groups.clear()
    remove_cgroups()


# ---- CPU time ------------------------------------------------------------------------
#
# What a server costs is the CPU time of all its processes. /proc's utime + stime count
# only live processes, in 10 ms ticks sampled at the timer interrupt; a cpuacct cgroup
# per server counts every process it ever forked (a worker killed and replaced included),
# in nanoseconds of scheduled run time. The bench makes one when it can (root, cgroup v1
# cpuacct mounted, as on this machine) and says which yardstick it used.

_cgroups = []
_capped = {}  # a server's cpuacct cgroup -> its cpu cgroup with the CFS quota
CPU = "/sys/fs/cgroup/cpu"
# Percent of one CPU each server may use (CFS bandwidth, 10 ms periods), or None: ab.py's
# --cpu-quota, to measure the servers saturated although wrk cannot saturate them here.
CPU_QUOTA = None


def make_cgroup(name):
    """A fresh cpuacct cgroup for one server; None when this machine will not make one.
    With CPU_QUOTA set, also a cpu cgroup that caps the server (an error when it cannot)."""
    leaf = re.sub(r"[^A-Za-z0-9_.-]", "-", name) + f"-{len(_cgroups)}"
    base = os.path.join(CPUACCT, f"clusterscope-bench-{os.getpid()}")
    path = os.path.join(base, leaf)
    try:
        os.makedirs(path)
        with open(os.path.join(path, "cpuacct.usage")) as f:
            f.read()
    except OSError:
        return None
    _cgroups.append(path)
    if CPU_QUOTA:
        capped = os.path.join(CPU, f"clusterscope-bench-{os.getpid()}", leaf)
        os.makedirs(capped)
        _cgroups.append(capped)
        with open(os.path.join(capped, "cpu.cfs_period_us"), "w") as f:
            f.write("10000")
        with open(os.path.join(capped, "cpu.cfs_quota_us"), "w") as f:
            f.write(str(int(10000 * CPU_QUOTA / 100)))
        _capped[path] = capped
    return path


def cgroup_ns(path):
    with open(os.path.join(path, "cpuacct.usage")) as f:
        return int(f.read())


def remove_cgroups():
    """Removes the cgroups once their processes are gone (killed processes leave them
    within moments; a cgroup with a process in it cannot be removed)."""
    deadline = time.monotonic() + 5
    bases = {os.path.dirname(p) for p in _cgroups}
    for path in _cgroups:
        while True:
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    log(f"run.py: could not remove cgroup {path} (processes still in it)")
                    break
                time.sleep(0.05)
    _cgroups.clear()
    for base in bases:
        try:
            os.rmdir(base)
        except OSError:
            pass


def steal_ticks(cpus):
    """Steal time so far (clock ticks) of the CPUs in the list "0,1" (None: all of them):
    time the hypervisor ran something else while this VM wanted the CPU."""
    names = {"cpu"} if not cpus else {f"cpu{c}" for c in cpus.split(",")}
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in names:
                total += int(parts[8])
    return total


# ---- /proc readers -------------------------------------------------------------------

def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def proc_ticks(pid):
    """utime + stime of one process from /proc/PID/stat, in clock ticks (0 when it is gone):
    the yardstick before the cgroup, kept to compare the two in the same runs."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def per_thread(pid, read):
    """The sum of read(path) over the live threads of a process, path being
    /proc/PID/task/TID; a thread gone meanwhile counts 0, a process gone 0 in all."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    total = 0
    for tid in tids:
        try:
            total += read(f"/proc/{pid}/task/{tid}")
        except (OSError, ValueError, IndexError):
            pass
    return total


def _schedstat_ns(path):
    with open(f"{path}/schedstat") as f:
        return int(f.read().split()[0])


def _switches(path):
    total = 0
    with open(f"{path}/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split()[1])
    return total


def cpu_ns(pid):
    """Run time of one live process, in nanoseconds: the sum over its threads of
    /proc/PID/task/TID/schedstat (the scheduler's own count, not 10 ms ticks); 0 when it is gone."""
    return per_thread(pid, _schedstat_ns)


def context_switches(pid):
    """Voluntary + involuntary context switches of every live thread of a process so far."""
    return per_thread(pid, _switches)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def jain(counts, n):
    """Jain's fairness index over n workers; workers that got nothing count as zeros."""
    xs = list(counts) + [0] * max(0, n - len(counts))
    total = sum(xs)
    squares = sum(x * x for x in xs)
    return (total * total) / (len(xs) * squares) if squares else 0.0


# ---- servers -------------------------------------------------------------------------

class Server:
    name = "?"

    def __init__(self, cpus):
        self.cpus = cpus
        self.proc = None
        self.port = None
        self.cgroup = None

    def launch(self, cmd, **kw):
        """Starts the server's command in a cpuacct cgroup of its own when one can be made."""
        self.cgroup = make_cgroup(self.name)
        self.proc = spawn(cmd, self.cpus, cgroup=self.cgroup, **kw)

    def cpu_ns(self):
        """CPU time of the whole server so far: its cgroup's count, else its live processes'."""
        if self.cgroup:
            return cgroup_ns(self.cgroup)
        return sum(cpu_ns(p) for p in [self.master_pid] + self.worker_pids())

    @property
    def master_pid(self):
        return self.proc.pid

    def worker_pids(self):
        return children(self.master_pid)

    def wait_serving(self, deadline):
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.proc.returncode} while starting")
            if len(self.worker_pids()) >= WORKERS:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not serve port {self.port} in time")


class Clusterscope(Server):
    def __init__(self, policy, cpus, logdir, extra=()):
        super().__init__(cpus)
        self.policy = policy
        self.name = f"clusterscope {policy}"
        self.extra = list(extra)
        self.logdir = logdir
        self.lines = queue.Queue()
        self.last = None

    def start(self):
        err = open(os.path.join(self.logdir, f"cs-{self.policy}-{len(_groups)}.log"), "w")
        cmd = [CLUSTERSCOPE, "--headless", "--port", "0", "--json", "--workers", str(WORKERS),
               "--policy", self.policy, "--interval", "500"] + self.extra
        self.launch(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 15
        first = None
        while first is None:
            try:
                first = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    with open(err.name) as f:
                        why = f.read().strip().splitlines()[-1:] or ["no output"]
                    raise RuntimeError(f"{self.name} printed no JSON snapshot ({why[0]})")
        self.port = int(first["port"])
        self.wait_serving(deadline)

    def _read(self):
        # Keeps draining stdout so the master never blocks on a full pipe.
        for line in self.proc.stdout:
            try:
                snap = json.loads(line)
            except ValueError:
                continue
            self.last = snap
            self.lines.put(snap)


class Node(Server):
    def __init__(self, sched, cpus, logdir):
        super().__init__(cpus)
        self.sched = sched
        self.name = f"node {sched}"
        self.logdir = logdir

    def start(self):
        self.port = free_port()
        env = dict(os.environ, NODE_CLUSTER_SCHED_POLICY=self.sched)
        err = open(os.path.join(self.logdir, f"node-{self.sched}.log"), "w")
        self.launch(["node", os.path.join(HERE, "node-cluster.js"), str(self.port), str(WORKERS)],
                    env=env, stdout=err, stderr=err)
        self.wait_serving(time.monotonic() + 15)


class Nginx(Server):
    name = "nginx"

    def __init__(self, cpus, logdir, connections=4096):
        super().__init__(cpus)
        self.prefix = os.path.join(logdir, "nginx")
        self.logdir = logdir
        self.connections = connections  # worker_connections: each worker's cap

    def start(self):
        self.port = free_port()
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            conf = (f.read().replace("@PORT@", str(self.port)).replace("@PREFIX@", self.prefix)
                    .replace("@CONNECTIONS@", str(self.connections)))
        path = os.path.join(self.prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        err = open(os.path.join(self.logdir, "nginx.log"), "w")
        self.launch([shutil.which("nginx") or "/usr/sbin/nginx", "-p", self.prefix, "-c", path],
                    stdout=err, stderr=err)
        self.wait_serving(time.monotonic() + 15)


# ---- load ----------------------------------------------------------------------------

def wrk(port, seconds, close, cpus, lua=False):
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    if close:
        cmd += ["-H", "Connection: close"]
    if lua:
        cmd += ["-s", os.path.join(HERE, "workers.lua")]
    cmd.append(f"http://127.0.0.1:{port}/")
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    result = {"rps": float(m.group(1)), "requests": 0, "errors": 0, "counts": {}}
    m = re.search(r"(\d+) requests in", out)
    if m:
        result["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        result["errors"] += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        result["errors"] += int(m.group(1))
    m = re.search(r"^WORKERS (.*)$", out, re.M)
    if m:
        for part in m.group(1).split():
            k, v = part.split("=")
            result["counts"][k] = int(v)
    return result


def get(port):
    """One GET / over a fresh connection; (slot, pid) from the body, or None."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        c.request("GET", "/", headers={"Connection": "close"})
        body = c.getresponse().read().decode(errors="replace")
    except (OSError, http.client.HTTPException):
        return None
    finally:
        c.close()
    m = re.search(r"worker (\d+) \(pid (\d+)\)", body)
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---- the passes ----------------------------------------------------------------------

def throughput(servers, reps, seconds, wrk_cpus, server_cpus):
    """reps rounds; in a round every server runs one mode back to back, then the other mode,
    each round starting with a different server. Ratios are taken within a round (runs
    seconds apart), so load from elsewhere on the machine mostly cancels out."""
    runs = {s.name: {"ka": [], "close": [], "master_cpu_close": [], "per_cpu_s_ka": [], "per_cpu_s_close": [],
                     "per_tick_s_ka": [], "per_tick_s_close": [], "switches_per_k_ka": [], "switches_per_k_close": [],
                     "steal_pct": [], "errors": 0} for s in servers}
    for rep in range(reps):
        order = servers[rep % len(servers):] + servers[:rep % len(servers)]
        for mode in ("ka", "close"):
            for s in order:
                pids = [s.master_pid] + s.worker_pids()
                k0, x0 = sum(proc_ticks(p) for p in pids), sum(context_switches(p) for p in pids)
                t0, c0, m0, st0 = time.monotonic(), s.cpu_ns(), cpu_ns(s.master_pid), steal_ticks(server_cpus)
                r = wrk(s.port, seconds, mode == "close", wrk_cpus)
                t1, c1, m1, st1 = time.monotonic(), s.cpu_ns(), cpu_ns(s.master_pid), steal_ticks(server_cpus)
                k1, x1 = sum(proc_ticks(p) for p in pids), sum(context_switches(p) for p in pids)
                used, master = (c1 - c0) / 1e9, (m1 - m0) / 1e9
                ncpus = len(server_cpus.split(",")) if server_cpus else os.cpu_count()
                steal = 100.0 * (st1 - st0) / CLK_TCK / (t1 - t0) / ncpus
                run = runs[s.name]
                run[mode].append(r["rps"])
                run["errors"] += r["errors"]
                run["steal_pct"].append(steal)
                # Requests per CPU-second of the server's own processes: what the server costs,
                # less sensitive than req/s to other work on a shared machine.
                if used > 0:
                    run["per_cpu_s_" + mode].append(r["requests"] / used)
                if k1 > k0:
                    run["per_tick_s_" + mode].append(r["requests"] / ((k1 - k0) / CLK_TCK))
                if r["requests"]:
                    # How often the server's processes slept and woke: fewer per request means
                    # more requests handled per wake-up (bigger epoll batches).
                    run["switches_per_k_" + mode].append(1000 * (x1 - x0) / r["requests"])
                if mode == "close":
                    run["master_cpu_close"].append(100.0 * master / (t1 - t0))
                log(f"  round {rep + 1}/{reps} {s.name:30} {mode:5} {r['rps']:10.0f} req/s, "
                    f"server CPU {100 * used / (t1 - t0):4.0f} % (master {100 * master / (t1 - t0):3.0f} %), "
                    f"{r['requests'] / used if used > 0 else 0:7.0f} req per CPU-s, steal {steal:.1f} %"
                    + (f"  ({r['errors']} errors)" if r["errors"] else ""))
    return runs


def round_ratios(runs, name, peer, mode):
    """Median over rounds of this server's rate divided by the peer's rate in the same round."""
    pairs = zip(runs[name][mode], runs[peer][mode])
    return median([a / b for a, b in pairs if b > 0])


def cpu_ratio(runs, name, peer, mode, key="per_cpu_s"):
    """Median over rounds of this server's requests per CPU-second over the peer's in the same round."""
    pairs = zip(runs[name][f"{key}_{mode}"], runs[peer][f"{key}_{mode}"])
    return median([a / b for a, b in pairs if b > 0])


def fairness(servers, seconds, wrk_cpus):
    out = {}
    for s in servers:
        out[s.name] = {}
        for mode in ("close", "ka"):
            r = wrk(s.port, seconds, mode == "close", wrk_cpus, lua=True)
            counts = r["counts"]
            out[s.name][mode] = {"jain": jain(counts.values(), WORKERS), "counts": counts}
            log(f"  fairness {s.name:30} {mode:5} {counts}")
    return out


def respawn(kills, cpus, logdir):
    """SIGKILL a worker, time until its slot answers from a new pid; kills alternate slots."""
    cs = Clusterscope("round-robin", cpus, logdir,
                      # Measures the respawn path itself: without this the crash-loop back-off
                      # (immediate, then 100 ms doubling) would be what we time after kill 2.
                      extra=["--backoff-max", "0", "--restart-limit", "100000"])
    cs.start()
    pids = {}
    deadline = time.monotonic() + 10
    while len(pids) < WORKERS and time.monotonic() < deadline:
        r = get(cs.port)
        if r:
            pids[r[0]] = r[1]
    if len(pids) < WORKERS:
        raise RuntimeError("respawn: could not see both workers answer")
    times, failures, seen = [], 0, set(pids.values())
    for i in range(kills):
        slot = 1 + i % WORKERS
        old = pids[slot]
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = get(cs.port)
            if r and r[0] == slot and r[1] not in seen:
                times.append((time.perf_counter() - t0) * 1000.0)
                pids[slot] = r[1]
                seen.add(r[1])
                break
        else:
            failures += 1
            log(f"  respawn: slot {slot} did not answer from a new pid within 5 s")
            break
        # Let the replacement settle (its telemetry, the master's bookkeeping) before the next kill.
        time.sleep(0.1)
    return {"times_ms": times, "failures": failures}


def reload(servers, hups, wrk_cpus):
    """SIGHUP to each master every second under keep-alive wrk load (20 connections, wrk never
    retries): the requests a rolling restart (nginx: a reload) costs the clients."""
    out = {}
    for s in servers:
        seconds = hups + 2
        cmd = ["wrk", "-t1", "-c20", f"-d{seconds}s", f"http://127.0.0.1:{s.port}/"]
        if wrk_cpus:
            cmd = ["taskset", "-c", wrk_cpus] + cmd
        w = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        for _ in range(hups):
            os.kill(s.master_pid, signal.SIGHUP)
            time.sleep(1)
        text = w.communicate(timeout=seconds + 30)[0]
        errors = 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        if m:
            errors += sum(int(x) for x in m.groups())
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        if m:
            errors += int(m.group(1))
        m = re.search(r"(\d+) requests in", text)
        out[s.name] = {"hups": hups, "errors": errors, "requests": int(m.group(1)) if m else 0}
        s.wait_serving(time.monotonic() + 15)
    return out


def clusterscope_load(port, seconds, cpus):
    """clusterscope-load with wrk's settings (one thread, CONNECTIONS keep-alive connections)."""
    cmd = [CLUSTERSCOPE_LOAD, "--port", str(port), "-c", str(CONNECTIONS), "-d", str(seconds), "--json"]
    if cpus:
        cmd = ["taskset", "-c", cpus] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    try:
        summary = json.loads(out.stdout)
    except ValueError:
        raise RuntimeError(f"clusterscope-load printed no JSON summary:\n{out.stdout}{out.stderr}")
    return {"rps": float(summary["requestsPerSecond"] or 0), "requests": summary["completed"],
            "errors": summary["errors"] + summary["non2xx"]}


def settled_total(cs, deadline_s=10):
    """The cluster's totalRequests once two snapshots in a row agree (the workers' telemetry
    has caught up with the load that just ended)."""
    # Snapshots queued while the load ran are stale: a stall of the server during the run
    # could make two of them agree.
    while True:
        try:
            cs.lines.get_nowait()
        except queue.Empty:
            break
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            snap = cs.lines.get(timeout=1)
        except queue.Empty:
            continue
        total = snap.get("totalRequests")
        if total is not None and total == last:
            return total
        last = total
    raise RuntimeError("the cluster's request count did not settle")


def loadgen(reps, seconds, cpus, load_cpus, logdir):
    """clusterscope-load against wrk on the same round-robin cluster of the built-in worker,
    same connections, keep-alive, both on the load CPU; they alternate, and each round starts
    with the other one, so a busy spell on the machine hits both alike."""
    cs = Clusterscope("round-robin", cpus, logdir)
    cs.start()
    wrk(cs.port, 1, False, load_cpus)  # warm-up
    out = {"wrk": [], "clusterscope-load": [], "errors": {"wrk": 0, "clusterscope-load": 0},
           # responses the tool counted and requests the cluster says it served, over all rounds
           "counted": {"wrk": 0, "clusterscope-load": 0}, "served": {"wrk": 0, "clusterscope-load": 0}}
    tools = {"wrk": lambda: wrk(cs.port, seconds, False, load_cpus),
             "clusterscope-load": lambda: clusterscope_load(cs.port, seconds, load_cpus)}
    for rep in range(reps):
        order = ["wrk", "clusterscope-load"] if rep % 2 == 0 else ["clusterscope-load", "wrk"]
        for name in order:
            before = settled_total(cs)
            r = tools[name]()
            out["served"][name] += settled_total(cs) - before
            out["counted"][name] += r["requests"]
            out[name].append(r["rps"])
            out["errors"][name] += r["errors"]
            log(f"  round {rep + 1}/{reps} {name:18} {r['rps']:10.0f} req/s"
                + (f"  ({r['errors']} errors)" if r["errors"] else ""))
    return out


def report_loadgen(lg, reps, seconds, load_cpus):
    w, c = median(lg["wrk"]), median(lg["clusterscope-load"])
    paired = median([a / b for a, b in zip(lg["clusterscope-load"], lg["wrk"]) if b > 0])
    ratio = c / w if w else 0.0
    return (f"Load generators on one round-robin cluster (built-in worker, {WORKERS} workers), keep-alive, "
            f"{CONNECTIONS} connections, one thread each"
            + (f" on CPU {load_cpus}" if load_cpus else "") + f", {reps} rounds of {seconds} s, alternating:\n"
            f"  wrk -t1 -c{CONNECTIONS}             median {w:10.0f} req/s  ({lg['errors']['wrk']} errors)\n"
            f"  clusterscope-load -c {CONNECTIONS}     median {c:10.0f} req/s  "
            f"({lg['errors']['clusterscope-load']} errors)\n"
            f"  ratio of medians {ratio:.3f}x, median of paired ratios {paired:.3f}x\n"
            f"  responses counted / served by the cluster: wrk {lg['counted']['wrk']} / {lg['served']['wrk']}, "
            f"clusterscope-load {lg['counted']['clusterscope-load']} / {lg['served']['clusterscope-load']}\n"
            f"  [{'met   ' if ratio >= 0.9 else 'MISSED'}] clusterscope-load >= 0.9x wrk: {ratio:.3f}x\n")


def master_cost(close_rps, seconds_floor, cpus, wrk_cpus, logdir):
    """Round-robin at full new-connection rate: master CPU, and fds before/after >= 100k connections."""
    cs = Clusterscope("round-robin", cpus, logdir)
    cs.start()
    master = cs.master_pid
    workers = cs.worker_pids()
    before = {"master_fds": fd_count(master), "worker_fds": [fd_count(w) for w in workers],
              "master_rss": rss_kib(master)}
    seconds = max(seconds_floor, int(100000 * 1.3 / max(close_rps, 1000)) + 1)
    total, t_all, c_all = 0, 0.0, 0
    while total < 100000:
        t0, c0 = time.monotonic(), cpu_ns(master)
        r = wrk(cs.port, seconds, True, wrk_cpus)
        t_all += time.monotonic() - t0
        c_all += cpu_ns(master) - c0
        total += r["requests"]
    # The last connections are still closing when wrk stops: give them a moment to go.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and (
            fd_count(master) > before["master_fds"]
            or sum(fd_count(w) for w in cs.worker_pids()) > sum(before["worker_fds"])):
        time.sleep(0.05)
    after = {"master_fds": fd_count(master), "worker_fds": [fd_count(w) for w in cs.worker_pids()],
             "master_rss": rss_kib(master)}
    return {"connections": total, "master_cpu": 100.0 * c_all / 1e9 / t_all,
            "before": before, "after": after}


def memory(servers):
    return {s.name: {"master": rss_kib(s.master_pid), "workers": [rss_kib(w) for w in s.worker_pids()]}
            for s in servers}


# ---- report --------------------------------------------------------------------------

def spread(xs):
    """(max - min) / median, in percent: how far one run's rounds lie apart."""
    return 100 * (max(xs) - min(xs)) / median(xs) if xs else 0


def median(xs):
    return statistics.median(xs) if xs else 0.0


def report_reload(rel):
    hups = next(iter(rel.values()))["hups"]
    return (f"Rolling restart under keep-alive load (wrk -t1 -c20, {hups} SIGHUPs 1 s apart; nginx: reloads), "
            "failed requests: " + ", ".join(f"{n} {r['errors']} of {r['requests']}" for n, r in rel.items()))


def report(args, servers, runs, fair, resp, cost, mem, rel, load_before, load_after):
    lines = []
    p = lines.append
    ka = {n: median(r["ka"]) for n, r in runs.items()}
    close = {n: median(r["close"]) for n, r in runs.items()}
    node_rr, nginx = "node rr", "nginx"

    def rr(name, peer, mode):
        return round_ratios(runs, name, peer, mode)

    p(f"Clusterscope bench — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
      f"{args.reps} x {args.seconds} s per server and mode, wrk -t1 -c{CONNECTIONS}, {WORKERS} workers, "
      + (f"servers pinned to CPU {args.server_cpus}, wrk to CPU {args.wrk_cpus}" if args.server_cpus else "no pinning"))
    p(f"load average before {load_before}, after {load_after}")
    p("")
    p("| server | keep-alive req/s | x node rr | x nginx | new-conn req/s | x node rr | x nginx "
      "| Jain new-conn | Jain keep-alive | master CPU % (new-conn) | req per CPU-s keep-alive / new-conn "
      "| RSS master / workers (MiB) | errors |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for s in servers:
        n = s.name
        f = fair.get(n, {})
        m = mem.get(n, {"master": 0, "workers": []})
        p(f"| {n} | {ka[n]:.0f} | {rr(n, node_rr, 'ka'):.2f} | {rr(n, nginx, 'ka'):.2f} "
          f"| {close[n]:.0f} | {rr(n, node_rr, 'close'):.2f} | {rr(n, nginx, 'close'):.2f} "
          f"| {f.get('close', {}).get('jain', 0):.3f} | {f.get('ka', {}).get('jain', 0):.3f} "
          f"| {median(runs[n]['master_cpu_close']):.0f} "
          f"| {median(runs[n]['per_cpu_s_ka']):.0f} / {median(runs[n]['per_cpu_s_close']):.0f} "
          f"| {m['master'] / 1024:.1f} / {' + '.join(f'{w / 1024:.1f}' for w in m['workers'])} "
          f"| {runs[n]['errors']} |")
    p("Ratios are medians over rounds of (rate / peer's rate in the same round); req/s are medians.")
    yardstick = ("a cpuacct cgroup per server (every process it forked, in ns)" if all(s.cgroup for s in servers)
                 else "/proc/PID/task/*/schedstat of the live processes (no cgroup could be made)")
    steal = [x for r in runs.values() for x in r["steal_pct"]]
    p(f"CPU cost: requests per CPU-second of the server's processes, from {yardstick}; ratios to nginx are "
      f"medians over rounds of the ratio in the same round. Steal on the servers' CPU per wrk run: median "
      f"{median(steal):.2f} %, max {max(steal):.2f} %.")
    p("")
    p("| server | req per CPU-s keep-alive | x nginx | spread over rounds | req per CPU-s new-conn | x nginx "
      "| spread over rounds | context switches per 1000 requests, keep-alive / new-conn |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        n = s.name
        cells = []
        for mode in ("ka", "close"):
            xs = runs[n][f"per_cpu_s_{mode}"]
            cells.append(f"{median(xs):.0f} | {cpu_ratio(runs, n, nginx, mode):.2f} | {spread(xs):.0f} %")
        cells.append(" / ".join(f"{median(runs[n][f'switches_per_k_{m}']):.0f}" for m in ("ka", "close")))
        p(f"| {n} | {' | '.join(cells)} |")
    # The yardstick used before: utime + stime ticks of the live processes, in the same runs.
    p("The old yardstick in the same runs (/proc utime + stime of the live processes), round-robin x nginx: "
      + ", ".join(f"{label} {cpu_ratio(runs, 'clusterscope round-robin', nginx, mode, 'per_tick_s'):.2f} "
                  f"(spread over rounds {spread(runs['clusterscope round-robin'][f'per_tick_s_{mode}']):.0f} %)"
                  for label, mode in (("keep-alive", "ka"), ("new-conn", "close"))))
    p("")
    p("Shares per worker (fairness pass, X-Worker header -> responses):")
    for s in servers:
        f = fair.get(s.name, {})
        p(f"  {s.name:30} new-conn {f.get('close', {}).get('counts')}  keep-alive {f.get('ka', {}).get('counts')}")
    p("")
    times = resp["times_ms"]
    if times:
        p(f"Respawn (SIGKILL -> first answer from the replacement, {len(times)} kills, back-off off): "
          f"median {median(times):.1f} ms, max {max(times):.1f} ms, min {min(times):.1f} ms"
          + (f", {resp['failures']} never answered" if resp["failures"] else ""))
    p(f"Master cost (round-robin, {cost['connections']} new connections at full rate): master CPU "
      f"{cost['master_cpu']:.0f} % of one core; master fds {cost['before']['master_fds']} -> "
      f"{cost['after']['master_fds']}, worker fds {cost['before']['worker_fds']} -> {cost['after']['worker_fds']}, "
      f"master RSS {cost['before']['master_rss'] / 1024:.1f} -> {cost['after']['master_rss'] / 1024:.1f} MiB")
    p(report_reload(rel))
    p("")
    ours = "clusterscope round-robin"
    targets = [
        ("keep-alive (round-robin) >= 1.5x node rr", rr(ours, node_rr, "ka"), 1.5, "x"),
        ("keep-alive (round-robin) >= 0.9x nginx", rr(ours, nginx, "ka"), 0.9, "x"),
        ("new connection per request (round-robin) >= 1.5x node rr", rr(ours, node_rr, "close"), 1.5, "x"),
        ("new connection per request (round-robin) >= 0.9x nginx", rr(ours, nginx, "close"), 0.9, "x"),
        ("round-robin fairness over new connections >= 0.99", fair[ours]["close"]["jain"], 0.99, ""),
    ]
    for policy in POLICIES:
        n = f"clusterscope {policy}"
        targets.append((f"keep-alive req per CPU-s ({policy}) >= 1.0x nginx", cpu_ratio(runs, n, nginx, "ka"), 1.0, "x"))
        want = 1.0 if policy in ("shared", "reuseport") else 0.85
        targets.append((f"new-conn req per CPU-s ({policy}) >= {want}x nginx", cpu_ratio(runs, n, nginx, "close"),
                        want, "x"))
    p("Targets:")
    for label, value, want, unit in targets:
        p(f"  [{'met   ' if value >= want else 'MISSED'}] {label}: {value:.3f}{unit}")
    if times:
        med = median(times)
        p(f"  [{'met   ' if med <= 20 and not resp['failures'] else 'MISSED'}] respawn median <= 20 ms: {med:.1f} ms")
    else:
        p("  [MISSED] respawn median <= 20 ms: no replacement answered")
    worst = max(r["errors"] for n, r in rel.items() if n.startswith("clusterscope"))
    p(f"  [{'met   ' if worst == 0 else 'MISSED'}] no request lost to a rolling restart under keep-alive "
      f"(nginx lost {rel[nginx]['errors']}): worst policy {worst}")
    flat = cost["after"]["master_fds"] - cost["before"]["master_fds"] <= 2
    p(f"  [{'met   ' if flat else 'MISSED'}] master fd count flat after 100k connections: "
      f"{cost['before']['master_fds']} -> {cost['after']['master_fds']}")
    return "\n".join(lines)


def snapshot_binaries(logdir):
    """Runs copies of the executables: a rebuild during the run must not swap them underfoot."""
    global CLUSTERSCOPE
    bindir = os.path.join(logdir, "bin")
    os.makedirs(bindir)
    global CLUSTERSCOPE_LOAD
    for exe in ("clusterscope", "clusterscope-worker", "clusterscope-load"):
        src = os.path.join(BUILD, "app", exe)
        if os.path.exists(src):
            shutil.copy2(src, bindir)
    # The master runs the clusterscope-worker that sits beside it.
    CLUSTERSCOPE = os.path.join(bindir, "clusterscope")
    CLUSTERSCOPE_LOAD = os.path.join(bindir, "clusterscope-load")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds of 2 s, 10 kills (about 2.5 minutes)")
    ap.add_argument("--reps", type=int, help="rounds per server and mode (8)")
    ap.add_argument("--seconds", type=int, help="seconds per wrk run (3)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk to separate CPUs")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--reload-only", action="store_true",
                    help="only the rolling-restart pass (Clusterscope's four policies and nginx)")
    ap.add_argument("--loadgen-only", action="store_true",
                    help="only clusterscope-load against wrk on one round-robin cluster")
    args = ap.parse_args()
    args.reps = args.reps or (3 if args.quick else 8)
    args.seconds = args.seconds or (2 if args.quick else 3)
    fair_seconds = 2 if args.quick else 3
    kills = 10 if args.quick else 20
    hups = 5 if args.quick else 10
    # wrk gets one core and the servers the other: the servers' ceiling is one core for all of them.
    args.server_cpus, args.wrk_cpus = (None, None) if args.no_pin or os.cpu_count() < 2 else ("0", "1")

    for tool in ("wrk", "node", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"run.py: {tool} is missing; install it (apt-get install wrk nodejs util-linux) and retry.")
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        sys.exit("run.py: nginx is missing; install it (apt-get install nginx-light) and retry.")
    for exe in (CLUSTERSCOPE, CLUSTERSCOPE_LOAD):
        if not os.access(exe, os.X_OK):
            sys.exit(f"run.py: {exe} is not built; build it (cmake --build {BUILD}) or set CLUSTERSCOPE_BUILD.")

    logdir = tempfile.mkdtemp(prefix="clusterscope-bench-")
    snapshot_binaries(logdir)
    load_before = loadavg()
    try:
        cpus = args.server_cpus
        if args.loadgen_only:
            log(f"load generators: {args.reps} rounds x 2 x {args.seconds} s")
            lg = loadgen(args.reps, args.seconds, cpus, args.wrk_cpus, logdir)
            print(f"load average before {load_before}, after {loadavg()}\n"
                  + report_loadgen(lg, args.reps, args.seconds, args.wrk_cpus), flush=True)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump({"loadgen": lg}, f, indent=1)
            return
        servers = [Clusterscope(p, cpus, logdir) for p in POLICIES]
        if not args.reload_only:
            servers += [Node("rr", cpus, logdir), Node("none", cpus, logdir)]
        servers.append(Nginx(cpus, logdir))
        log(f"starting {len(servers)} servers (logs in {logdir})")
        for s in servers:
            s.start()
            log(f"  {s.name:30} port {s.port} master {s.master_pid} workers {s.worker_pids()}")
            wrk(s.port, 1, False, args.wrk_cpus)  # warm-up: JIT, page faults, accept queues
        if args.reload_only:
            log(f"rolling restart: {hups} SIGHUPs per server under keep-alive load")
            print(report_reload(reload(servers, hups, args.wrk_cpus)), flush=True)
            return
        log(f"throughput: {args.reps} rounds x {len(servers)} servers x 2 modes x {args.seconds} s")
        runs = throughput(servers, args.reps, args.seconds, args.wrk_cpus, args.server_cpus)
        mem = memory(servers)
        # Node's cluster module has no rolling restart: only Clusterscope and nginx take part.
        log(f"rolling restart: {hups} SIGHUPs per server under keep-alive load")
        rel = reload([s for s in servers if not isinstance(s, Node)], hups, args.wrk_cpus)
        log("fairness")
        fair = fairness(servers, fair_seconds, args.wrk_cpus)
        log(f"respawn: {kills} kills")
        resp = respawn(kills, cpus, logdir)
        log(f"load generators: {args.reps} rounds x 2 x {args.seconds} s")
        lg = loadgen(args.reps, args.seconds, cpus, args.wrk_cpus, logdir)
        log("master cost: >= 100k new connections on round-robin")
        cost = master_cost(median(runs["clusterscope round-robin"]["close"]), 2 if args.quick else 5,
                           cpus, args.wrk_cpus, logdir)
    finally:
        kill_all()
    text = report(args, servers, runs, fair, resp, cost, mem, rel, load_before, loadavg())
    print(text + "\n" + report_loadgen(lg, args.reps, args.seconds, args.wrk_cpus), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "fairness": fair, "respawn": resp, "master_cost": cost,
                       "memory": mem, "reload": rel, "loadgen": lg}, f, indent=1)
    shutil.rmtree(logdir, ignore_errors=True)


def run_main(main, name):
    """Runs a bench script's main(): SIGTERM and SIGINT unwind through its finally (which kills
    every server started), and a RuntimeError is one line naming the script."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except KeyboardInterrupt:
        kill_all()
        sys.exit(130)
    except RuntimeError as e:
        kill_all()
        sys.exit(f"{name}: {e}")


if __name__ == "__main__":
    run_main(main, "run.py")
