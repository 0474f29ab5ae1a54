#!/usr/bin/env python3
"""An hour without growth: a Clusterscope cluster under moderate mixed load, a worker killed
every minute and a rolling restart every ten, its memory and descriptors sampled throughout.

The load runs in one-minute segments (clusterscope-load, keep-alive and new-connection side by
side at a fixed rate), so every failed request can be put down to the segment it happened in.
A segment in which a worker was killed may lose the requests that were in flight on it: at
most the connections the killed worker held in the master's last snapshot before the kill,
plus one it may have been handed since. Every other segment, rolling restarts included, must
lose none. Passes when also the master's RSS stays within 2 MiB of its value after warm-up,
no worker's RSS grows past the largest seen after warm-up by more than 2 MiB, and once the
load has stopped the master and every worker hold the descriptors they held before it.
Python standard library and ImageMagick's convert (for the plot) only; run it through soak.sh.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import run as bench

MIB = 1024 * 1024


class Load:
    """One minute of load: keep-alive and new-connection clusterscope-load side by side."""

    def __init__(self, port, seconds, rate_keepalive, rate_new, logdir, index):
        common = [bench.CLUSTERSCOPE_LOAD, "--port", str(port), "-d", str(seconds), "--json"]
        self.procs = []
        for mode, conns, rate in (("--keep-alive", 8, rate_keepalive), ("--new-connection", 4, rate_new)):
            err = open(os.path.join(logdir, f"load-{index}{mode}.log"), "w")
            self.procs.append(bench.spawn(common + [mode, "-c", str(conns), "--rate", str(rate)], None,
                                          stdout=subprocess.PIPE, stderr=err, text=True))

    def finish(self):
        """The two summaries (completed, errors), once both have ended."""
        out = []
        for p in self.procs:
            text, _ = p.communicate(timeout=120)
            try:
                s = json.loads(text)
                out.append((int(s["completed"]), int(s["errors"]) + int(s["non2xx"]), s.get("firstError", "")))
            except (ValueError, KeyError):
                out.append((0, 1, f"clusterscope-load exited with status {p.returncode} and no summary"))
        return out


def sample(cs):
    """RSS and descriptor counts of the master and of each slot's process, by slot."""
    workers = sorted((w["slot"], w["pid"]) for w in (cs.last or {}).get("workers", []) if w.get("pid"))
    return {"t": time.monotonic(), "master_rss": bench.rss_kib(cs.master_pid) * 1024,
            "master_fds": bench.fd_count(cs.master_pid),
            # A process that ended since the snapshot (a kill, a rolling restart) is left out.
            "workers": [w for w in ({"slot": slot, "pid": pid, "rss": bench.rss_kib(pid) * 1024,
                                     "fds": bench.fd_count(pid)} for slot, pid in workers) if w["fds"] >= 0]}


def serving_workers(snapshot):
    return [w for w in (snapshot or {}).get("workers", []) if w.get("state") == "online" and w.get("pid")]


def wait_all_online(cs, workers, deadline, replaced=()):
    """Until `workers` slots serve, none of them a process in `replaced`."""
    while time.monotonic() < deadline:
        online = serving_workers(cs.last)
        if len(online) == workers and not any(w["pid"] in replaced for w in online):
            return True
        time.sleep(0.1)
    return False


def plot(samples, marks, start, path, title):
    """A PNG of RSS and descriptor counts over time, drawn with ImageMagick's own primitives."""
    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    width, height, left, right, gap = 1100, 640, 70, 20, 50
    panel = (height - 3 * gap) // 2
    t_end = max(s["t"] - start for s in samples) or 1
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    mvg = [f"font '{font}'", "font-size 13"]

    def x(t):
        return left + (t / t_end) * (width - left - right)

    def draw_panel(top, label, series, unit_div, unit):
        top_val = max((v for _, pts in series for _, v in pts), default=1) / unit_div
        top_val = top_val * 1.15 or 1
        bottom = top + panel
        mvg.append("stroke '#888888' stroke-width 1 fill none")
        mvg.append(f"rectangle {left},{top} {width - right},{bottom}")
        for i in range(5):
            v = top_val * i / 4
            y = bottom - (v / top_val) * panel
            mvg.append(f"stroke '#dddddd' line {left},{y:.1f} {width - right},{y:.1f}")
            mvg.append(f"stroke none fill black text 8,{y + 4:.1f} '{v:.1f}'")
        mvg.append(f"stroke none fill black text {left},{top - 8} '{label} ({unit})'")
        for t, kind in marks:
            colour = "#ff7f0e" if kind == "restart" else "#bbbbbb"
            mvg.append(f"stroke '{colour}' stroke-width 1 line {x(t):.1f},{top} {x(t):.1f},{bottom}")
        legend_x = left + 260
        for i, (name, pts) in enumerate(series):
            colour = colours[i % len(colours)]
            if len(pts) > 1:
                coords = " ".join(f"{x(t):.1f},{bottom - (v / unit_div / top_val) * panel:.1f}" for t, v in pts)
                mvg.append(f"stroke '{colour}' stroke-width 2 fill none polyline {coords}")
            mvg.append(f"stroke none fill '{colour}' text {legend_x},{top - 8} '{name}'")
            legend_x += 9 * len(name) + 20

    def series(key):
        master = [(s["t"] - start, s[key]) for s in samples]
        slots = {}
        for s in samples:
            for w in s["workers"]:
                slots.setdefault(w["slot"], []).append((s["t"] - start, w[key.replace("master_", "")]))
        return [("master", master)] + [(f"worker {slot}", pts) for slot, pts in sorted(slots.items())]

    draw_panel(gap, "RSS", series("master_rss"), MIB, "MiB")
    draw_panel(2 * gap + panel, "open descriptors", series("master_fds"), 1, "count")
    mvg.append(f"stroke none fill black text {left},{height - 12} "
               f"'{title}; minutes 0-{t_end / 60:.0f}; grey: worker killed, orange: rolling restart'")
    # The drawing goes on the command line: Debian's ImageMagick policy refuses "@file" arguments.
    subprocess.run(["convert", "-size", f"{width}x{height}", "xc:white", "-draw", "\n".join(mvg), path], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60, help="how long the load runs (60)")
    ap.add_argument("--policy", default="round-robin", help="the cluster's policy (round-robin)")
    ap.add_argument("--workers", type=int, default=2, help="worker count (2)")
    ap.add_argument("--rate", type=int, default=1500, help="keep-alive requests per second (1500); "
                    "new connections run at a fifth of it")
    ap.add_argument("--warmup", type=float, help="minutes before the RSS reference is taken "
                    "(2, or a tenth of a shorter run)")
    ap.add_argument("--restart-every", type=int, default=10, help="a rolling restart every N minutes (10)")
    ap.add_argument("--png", help="write the plot of the samples to this file")
    ap.add_argument("--json", help="write every sample and segment to this file")
    args = ap.parse_args()
    warmup = (args.warmup if args.warmup is not None else min(2.0, args.minutes / 10)) * 60
    segments = max(1, int(round(args.minutes)))
    for exe in (bench.CLUSTERSCOPE, bench.CLUSTERSCOPE_LOAD):
        if not os.access(exe, os.X_OK):
            sys.exit(f"soak.py: {exe} is not built; build it (cmake --build {bench.BUILD}) or set CLUSTERSCOPE_BUILD.")
    if args.png and not subprocess.run(["which", "convert"], capture_output=True).returncode == 0:
        sys.exit("soak.py: --png needs ImageMagick's convert; install it (apt-get install imagemagick) and retry.")

    logdir = tempfile.mkdtemp(prefix="clusterscope-soak-")
    bench.snapshot_binaries(logdir)
    bench.WORKERS = args.workers
    load_before = bench.loadavg()
    samples, marks, results = [], [], []
    stop_sampling = threading.Event()
    try:
        cs = bench.Clusterscope(args.policy, None, logdir)
        cs.start()
        if not wait_all_online(cs, args.workers, time.monotonic() + 20):
            raise RuntimeError("the workers did not all come online within 20 s")
        baseline = sample(cs)
        start = time.monotonic()
        bench.log(f"soak: {args.policy}, {args.workers} workers, port {cs.port}, {segments} one-minute segments "
                  f"(logs in {logdir}); baseline master fds {baseline['master_fds']}, "
                  f"worker fds {[w['fds'] for w in baseline['workers']]}")

        def sampler():
            while not stop_sampling.wait(10):
                samples.append(sample(cs))
        samples.append(baseline)
        threading.Thread(target=sampler, daemon=True).start()

        for minute in range(segments):
            seg_start = time.monotonic()
            restart = args.restart_every > 0 and minute % args.restart_every == args.restart_every - 1
            load = Load(cs.port, 60, args.rate, max(1, args.rate // 5), logdir, minute)
            allowance, kill_note = 0, ""
            if restart:
                time.sleep(max(0.0, seg_start + 15 - time.monotonic()))
                marks.append((time.monotonic() - start, "restart"))
                old = {w["pid"] for w in serving_workers(cs.last)}
                os.kill(cs.master_pid, signal.SIGHUP)
                if not wait_all_online(cs, args.workers, time.monotonic() + 20, old):
                    raise RuntimeError(f"minute {minute + 1}: the rolling restart did not finish within 20 s")
            time.sleep(max(0.0, seg_start + 35 - time.monotonic()))
            online = serving_workers(cs.last)
            if online:
                victim = online[minute % len(online)]
                allowance = int(victim.get("open", 0)) + 1
                marks.append((time.monotonic() - start, "kill"))
                try:
                    os.kill(victim["pid"], signal.SIGKILL)
                    kill_note = f"killed slot {victim['slot']} (pid {victim['pid']}, {victim.get('open', 0)} open)"
                except ProcessLookupError:
                    allowance, kill_note = 0, "the chosen worker had already gone"
            done = load.finish()
            completed = sum(c for c, _, _ in done)
            failed = sum(e for _, e, _ in done)
            why = "; ".join(w for _, e, w in done if e and w)
            ok = failed <= allowance
            results.append({"minute": minute + 1, "restart": restart, "kill": kill_note, "completed": completed,
                            "failed": failed, "allowed": allowance, "ok": ok, "firstError": why})
            bench.log(f"  minute {minute + 1:3}: {completed:7} requests, {failed} failed (allowed {allowance})"
                      f"{', rolling restart' if restart else ''}{', ' + kill_note if kill_note else ''}"
                      f"{'' if ok else '  <-- TOO MANY: ' + why}")
            if not wait_all_online(cs, args.workers, time.monotonic() + 20):
                raise RuntimeError(f"minute {minute + 1}: a killed worker did not come back within 20 s")

        stop_sampling.set()
        # The load has ended: every connection closes, so the descriptors must go back to the baseline.
        deadline = time.monotonic() + 15
        final = sample(cs)
        while time.monotonic() < deadline and (
                final["master_fds"] != baseline["master_fds"]
                or sorted(w["fds"] for w in final["workers"]) != sorted(w["fds"] for w in baseline["workers"])):
            time.sleep(0.2)
            final = sample(cs)
        samples.append(final)
    finally:
        stop_sampling.set()
        bench.kill_all()

    after_warmup = [s for s in samples if s["t"] - start >= warmup]
    reference = after_warmup[0] if after_warmup else samples[-1]
    master_ref = reference["master_rss"]
    worker_ref = max(w["rss"] for w in reference["workers"])
    master_dev = max(abs(s["master_rss"] - master_ref) for s in after_warmup or [reference])
    worker_max = max(w["rss"] for s in after_warmup or [reference] for w in s["workers"])
    checks = [
        (f"master RSS within 2 MiB of its value after warm-up ({master_ref / MIB:.1f} MiB): "
         f"largest deviation {master_dev / MIB:.2f} MiB", master_dev <= 2 * MIB),
        (f"no worker's RSS past the largest after warm-up ({worker_ref / MIB:.1f} MiB) + 2 MiB: "
         f"largest {worker_max / MIB:.1f} MiB", worker_max <= worker_ref + 2 * MIB),
        (f"master fds back to baseline: {baseline['master_fds']} -> {final['master_fds']}",
         final["master_fds"] == baseline["master_fds"]),
        (f"worker fds back to baseline: {sorted(w['fds'] for w in baseline['workers'])} -> "
         f"{sorted(w['fds'] for w in final['workers'])}",
         sorted(w["fds"] for w in final["workers"]) == sorted(w["fds"] for w in baseline["workers"])),
        (f"no request failed beyond those in flight on a killed worker: "
         f"{sum(r['failed'] for r in results)} failed of {sum(r['completed'] + r['failed'] for r in results)}, "
         f"{sum(1 for r in results if not r['ok'])} minutes over their allowance",
         all(r["ok"] for r in results)),
    ]
    kills = sum(1 for _, kind in marks if kind == "kill")
    restarts = sum(1 for _, kind in marks if kind == "restart")
    title = (f"soak {time.strftime('%Y-%m-%d %H:%M')}: {args.policy}, {args.workers} workers, "
             f"{segments} min, {kills} kills, {restarts} rolling restarts")
    lines = [title, f"load average before {load_before}, after {bench.loadavg()}; samples every 10 s: {len(samples)}"]
    lines += [f"  [{'met   ' if ok else 'FAILED'}] {text}" for text, ok in checks]
    print("\n".join(lines), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"samples": samples, "segments": results, "marks": marks, "start": start}, f, indent=1)
    if args.png:
        plot(samples, marks, start, args.png, title)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    bench.run_main(main, "soak.py")
