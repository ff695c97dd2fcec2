"""``python -m bench.memory``: what one dashboard worker holds in memory, measured.

    python -m bench.memory [--cache-mb N] [--views 400] [--large-views 200] [--events 1000000] [--checkout DIR]

Starts ``gunicorn app:server -w 1`` on 127.0.0.1 with a data directory of its own and reads the
worker's resident memory (``VmRSS``, and its peak ``VmHWM``, from /proc) when it has started, then
every ``--every`` views while it answers ``--views`` new views one after another (each a new seed of
the default size: a cold cache), then ``--large-views`` views of 1,000 services. Then it stores a
dataset of ``--events`` events, starts a fresh worker, opens the dataset and reads what the opened
dataset adds and how long its views take. ``--cache-mb`` sets ``METRICS_CACHE_MB`` (default: the
product's own default, unset); ``--checkout DIR`` measures the app of another checkout of the project
(an earlier version) with this same bench.

Loopback only; every loop is bounded in count; the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.load import MAKE_STORE
from bench.reliability import free_port, main_callback_body, request

ROOT = Path(__file__).resolve().parent.parent
LARGE = "services=1000&days=30"


def memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (``VmRSS``, ``VmHWM``), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


class Worker:
    """``gunicorn app:server -w 1`` on a free loopback port; ``pid`` is its one worker's."""

    def __init__(self, env: dict, log: Path, checkout: Path = ROOT):
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = open(log, "ab")          # a file, not a pipe: a full pipe would block the server
        self.server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-w", "1", "-b",
                                        self.base.removeprefix("http://"), "--timeout", "300"],
                                       cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        started = time.monotonic()
        while request(self.base + "/health", timeout=2) != 200:
            if time.monotonic() - started > 120 or self.server.poll() is not None:
                self.stop()
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        self.pid = int(subprocess.run(["pgrep", "-P", str(self.server.pid)], capture_output=True,
                                      text=True).stdout.split()[0])
        self.dependencies = json.loads(urllib.request.urlopen(self.base + "/_dash-dependencies", timeout=30).read())

    def view(self, search: str) -> int:
        """One view through the main callback, as the page asks for it; its HTTP status."""
        return request(self.base + "/_dash-update-component", main_callback_body(self.dependencies, search), timeout=300)

    def stop(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.log.close()


def series(worker: Worker, searches: list[str], every: int, label: str) -> list[tuple]:
    """(label, views answered, RSS MB, peak RSS MB, seconds) after every ``every`` views."""
    rows, started, failed = [], time.monotonic(), 0
    for i, search in enumerate(searches, 1):
        failed += worker.view(search) != 200
        if i % every == 0 or i == len(searches):
            rows.append((label, i, *memory_mb(worker.pid), time.monotonic() - started))
            print(f"  {label}: {i} views, RSS {rows[-1][2]:.0f} MB (peak {rows[-1][3]:.0f} MB)", file=sys.stderr,
                  flush=True)
    if failed:
        raise SystemExit(f"{failed} of {len(searches)} views were not answered 200")
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory")
    p.add_argument("--cache-mb", type=float, help="METRICS_CACHE_MB for the workers (default: the product's)")
    p.add_argument("--views", type=int, default=400, help="views of the default size (default 400)")
    p.add_argument("--large-views", type=int, default=200, help="views of 1,000 services (default 200)")
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--events", type=int, default=1_000_000, help="events of the stored dataset (0: none)")
    p.add_argument("--checkout", type=Path, default=ROOT, help="measure the app of this checkout (default: this one)")
    args = p.parse_args(argv)
    checkout = args.checkout.resolve()
    data = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    env = dict(os.environ, METRICS_DATA_DIR=str(data), PYTHONPATH=str(checkout))
    env.pop("METRICS_CACHE_MB", None)
    if args.cache_mb is not None:
        env["METRICS_CACHE_MB"] = f"{args.cache_mb:g}"
    budget = f"METRICS_CACHE_MB={args.cache_mb:g}" if args.cache_mb is not None else "METRICS_CACHE_MB unset (default)"
    rows = []
    worker = Worker(env, data / "server.log", checkout)
    try:
        rows.append(("started", 0, *memory_mb(worker.pid), 0.0))
        rows += series(worker, [f"?seed={seed}&days=30" for seed in range(args.views)], args.every, "default size")
        rows += series(worker, [f"?seed={seed}&{LARGE}" for seed in range(args.large_views)], args.every,
                       "1,000 services, 30 days")
    finally:
        worker.stop()
    dataset = None
    if args.events:
        subprocess.run([sys.executable, "-c", MAKE_STORE.format(events=args.events)], cwd=checkout, env=env, check=True)
        worker = Worker(env, data / "server.log", checkout)
        try:
            before = memory_mb(worker.pid)
            windows = ["", "&days=30", "&days=90", "&days=7", "&days=180", "&days=30"]
            seconds = []
            for days in windows:
                started = time.monotonic()
                if worker.view(f"?data=big{days}") != 200:
                    raise SystemExit("the stored dataset's view was not answered 200")
                seconds.append(time.monotonic() - started)
            after = memory_mb(worker.pid)
            dataset = (before, after, seconds)
        finally:
            worker.stop()
    which = "" if checkout == ROOT else f", the app of {checkout}"
    print(f"gunicorn -w 1 on 127.0.0.1, {budget}{which}: one worker's resident memory (VmRSS; peak VmHWM)\n")
    print("| views | answered | RSS | peak RSS | seconds |")
    print("|---|---:|---:|---:|---:|")
    for label, count, rss, peak, seconds in rows:
        print(f"| {label} | {count:,} | {rss:,.0f} MB | {peak:,.0f} MB | {seconds:,.0f} |")
    if dataset:
        (rss0, _), (rss1, peak1), seconds = dataset
        print(f"\nA stored dataset of {args.events:,} events, {len(seconds)} views of it (all, 30, 90, 7, 180 and again 30 "
              f"days) in a fresh worker: RSS {rss0:,.0f} -> {rss1:,.0f} MB, peak {peak1:,.0f} MB "
              f"({(peak1 - rss0) / args.events * 1e6:,.0f} MB per million events above the started worker); "
              "seconds a view: " + ", ".join(f"{s:.2f}" for s in seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
