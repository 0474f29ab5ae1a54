#!/usr/bin/env python3
"""10,000 concurrent keep-alive connections to 2 workers, and the memory each idle one costs.

For Clusterscope under each policy and for nginx, the same way: open N connections (in
batches, each serving one GET / before the next batch opens, so the listen backlog never
overflows), hold them all idle, read the workers' RSS, then send a second GET / on every one
of them. Passes when every request of both passes got a 200, the cluster counted N open
connections while they were held, and the workers' descriptors went back to their baseline
once the client closed them. Memory per idle connection = (sum of the workers' RSS with the
N connections held - before they were opened) / N. Standard library only; run it through
connections.sh.
"""

import argparse
import os
import resource
import selectors
import socket
import sys
import tempfile
import time

import run as bench

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def exchange(socks, timeout):
    """Sends one GET / on each socket and reads its response: (count of 200s, first error)."""
    sel = selectors.DefaultSelector()
    pending = {}
    for s in socks:
        try:
            s.sendall(REQUEST)
        except OSError as e:
            return 0, f"send failed: {e}"
        sel.register(s, selectors.EVENT_READ)
        pending[s] = b""
    ok, error = 0, ""
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except OSError as e:
                chunk, error = b"", error or f"recv failed: {e}"
            buf = pending[s] + chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            done = False
            if not chunk:
                error = error or "the server closed a connection before answering"
                done = True
            elif sep:
                m = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                length = int(m[0].split(b":")[1]) if m else 0
                if len(body) >= length:
                    done = True
                    if head.startswith(b"HTTP/1.1 200"):
                        ok += 1
                    else:
                        status = head.split(b"\r\n")[0]
                        error = error or f"status line {status!r}"
            if done:
                sel.unregister(s)
                del pending[s]
            else:
                pending[s] = buf
    sel.close()
    if pending:
        error = error or f"{len(pending)} responses did not come within {timeout} s"
    return ok, error


def open_connections(port, count, batch):
    socks, ok, error = [], 0, ""
    for start in range(0, count, batch):
        fresh = []
        for _ in range(min(batch, count - start)):
            s = socket.socket()
            s.settimeout(10)
            try:
                s.connect(("127.0.0.1", port))
            except OSError as e:
                s.close()
                return socks, ok, f"connect failed after {len(socks) + len(fresh)} connections: {e}"
            s.setblocking(False)
            fresh.append(s)
        socks += fresh
        served, error = exchange(fresh, 30)
        ok += served
        if error:
            break
    return socks, ok, error


def workers_rss(server):
    return sum(bench.rss_kib(w) for w in server.worker_pids()) * 1024


def workers_fds(server):
    return sorted(bench.fd_count(w) for w in server.worker_pids())


def open_in_snapshot(server):
    snap = getattr(server, "last", None) or {}
    return sum(int(w.get("open", 0)) for w in snap.get("workers", []))


def measure(server, count, batch):
    # Warm-up: the first requests fault in the workers' code and buffers.
    warm, _, _ = open_connections(server.port, 20, 20)
    for s in warm:
        s.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and open_in_snapshot(server):
        time.sleep(0.1)
    time.sleep(1)  # the workers' RSS settles after the warm-up connections close
    fds_before, rss_before = workers_fds(server), workers_rss(server)
    t0 = time.monotonic()
    socks, first_ok, error = open_connections(server.port, count, batch)
    opened = time.monotonic() - t0
    held = 0
    if isinstance(server, bench.Clusterscope):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and open_in_snapshot(server) < len(socks):
            time.sleep(0.1)
        held = open_in_snapshot(server)
    time.sleep(1)
    rss_held = workers_rss(server)
    second_ok, second_error = (0, "") if error else exchange(socks, 60)
    for s in socks:
        s.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and workers_fds(server) != fds_before:
        time.sleep(0.1)
    return {"server": server.name, "opened": len(socks), "seconds": opened, "first_ok": first_ok,
            "second_ok": second_ok, "error": error or second_error, "held": held,
            "rss_before": rss_before, "rss_held": rss_held,
            "per_connection": (rss_held - rss_before) / len(socks) if socks else 0,
            "fds_before": fds_before, "fds_after": workers_fds(server)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=10000, help="connections held at once (10000)")
    ap.add_argument("--batch", type=int, default=500, help="connections opened before each first request (500)")
    ap.add_argument("--policies", default=",".join(bench.POLICIES), help="Clusterscope policies to measure")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections + 200
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit(f"connections.py: the open-files hard limit is {hard}, and {args.connections} connections need "
                 f"{need}; raise it (ulimit -Hn {need} as root, or LimitNOFILE) or pass --connections "
                 f"{max(100, hard - 200)}.")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers inherit it too
    logdir = tempfile.mkdtemp(prefix="clusterscope-connections-")
    bench.snapshot_binaries(logdir)
    load_before = bench.loadavg()
    results = []
    try:
        servers = [bench.Clusterscope(p, None, logdir) for p in args.policies.split(",") if p]
        # nginx's reuseport hash may give one worker more than half: room for all of them in each.
        servers.append(bench.Nginx(None, logdir, connections=args.connections + 100))
        for server in servers:
            server.start()
            bench.log(f"{server.name}: {args.connections} connections")
            r = measure(server, args.connections, args.batch)
            results.append(r)
            bench.log(f"  opened {r['opened']} in {r['seconds']:.1f} s, 200s {r['first_ok']} + {r['second_ok']}, "
                      f"{(r['rss_held'] - r['rss_before']) / 1048576:.1f} MiB more RSS {r['error']}")
            bench.kill_all()
    finally:
        bench.kill_all()
    n = args.connections
    lines = [f"{n} keep-alive connections to 2 workers — {time.strftime('%Y-%m-%d %H:%M')}, "
             f"load average before {load_before}, after {bench.loadavg()}", "",
             "| server | opened | 200s (1st / 2nd request) | open in snapshot | workers' RSS before -> held (MiB) "
             "| bytes per idle connection | worker fds before -> after | error |",
             "|---|---:|---|---:|---|---:|---|---|"]
    for r in results:
        lines.append(f"| {r['server']} | {r['opened']} | {r['first_ok']} / {r['second_ok']} | "
                     f"{r['held'] if r['server'] != 'nginx' else '–'} | {r['rss_before'] / 1048576:.1f} -> "
                     f"{r['rss_held'] / 1048576:.1f} | {r['per_connection']:.0f} | {r['fds_before']} -> "
                     f"{r['fds_after']} | {r['error'] or 'none'} |")
    nginx = next((r for r in results if r["server"] == "nginx"), None)
    checks = []
    for r in results:
        checks.append((f"{r['server']}: {n} connections served twice, zero errors",
                       r["opened"] == n and r["first_ok"] == n and r["second_ok"] == n and not r["error"]))
        if r["server"] != "nginx":
            checks.append((f"{r['server']}: the cluster counted {r['held']} open connections",
                           r["held"] == n))
            if nginx:
                checks.append((f"{r['server']}: {r['per_connection']:.0f} bytes per idle connection <= nginx's "
                               f"{nginx['per_connection']:.0f}", r["per_connection"] <= nginx["per_connection"]))
        checks.append((f"{r['server']}: worker fds back to baseline", r["fds_after"] == r["fds_before"]))
    lines.append("")
    lines += [f"  [{'met   ' if ok else 'FAILED'}] {text}" for text, ok in checks]
    print("\n".join(lines), flush=True)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    bench.run_main(main, "connections.py")
