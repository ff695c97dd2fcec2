"""``python -m bench``: events per second for generating and for computing every metric at
10k, 100k, 1M and 5M events, with peak memory, and the wall time of the whole 1M command.

Each size runs in a fresh process so that peak RSS belongs to that size alone. ``python -m bench load
...`` runs ``bench.load`` (loading stored datasets and event CSVs, beside a previous version and DuckDB).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import services_for

ROOT = Path(__file__).resolve().parent.parent
# (label, services, days): about 10k, 100k, 1M and 5M events
SIZES = [("10k", 2, 430), ("100k", services_for(100_000), 365), ("1M", services_for(1_000_000), 365),
         ("5M", services_for(5_000_000), 365)]
# the whole command of the targets: (label, services, days, target seconds)
COMMANDS = [("1M", services_for(1_000_000), 365, 1.5), ("5M", services_for(5_000_000), 365, 8.0)]
PEAK_OF_CHILD = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def measure(services: int, days: int) -> dict:
    """Run in a child process: time generation and analysis, report events and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from metrics import analyze, generate

    t0 = time.perf_counter()
    u = generate(days, 42, services=services, end="2026-11-22")
    t1 = time.perf_counter()
    analyze(u.tables, u.window)
    t2 = time.perf_counter()
    return {"events": u.tables.event_count(), "generate_s": t1 - t0, "analyze_s": t2 - t1,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def whole_command(services: int, days: int, repeat: int) -> dict:
    """Wall time and peak RSS of ``python -m metrics --services N --days D --json`` (best and median)."""
    times, rss = [], 0.0
    command = [sys.executable, "-m", "metrics", "--services", str(services), "--days", str(days), "--json"]
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    # peak RSS of the command alone, measured by a wrapper process that runs nothing else
    peak = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *command], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    rss = int(peak) / 1024
    times.sort()
    return {"best_s": times[0], "median_s": times[len(times) // 2], "peak_rss_mb": rss}


def main() -> int:
    if sys.argv[1:2] == ["load"]:
        from bench.load import main as load
        return load(sys.argv[2:])
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--sizes", default="10k,100k,1M,5M", help="comma-separated: 10k,100k,1M,5M")
    p.add_argument("--repeat", type=int, default=5, help="runs of the whole 1M command (default 5)")
    p.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return 0
    wanted = args.sizes.split(",")
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print()
    print("| events | generate | events/s | all metrics | events/s | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|")
    for label, services, days in SIZES:
        if label not in wanted:
            continue
        out = subprocess.run([sys.executable, "-m", "bench", "--child", str(services), str(days)], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        print(f"| {r['events']:,} | {r['generate_s']:.2f} s | {r['events'] / r['generate_s']:,.0f} | "
              f"{r['analyze_s']:.2f} s | {r['events'] / r['analyze_s']:,.0f} | {r['peak_rss_mb']:,.0f} MB |", flush=True)
    print()
    print("| whole command (wall time, fresh process) | best | median | peak RSS | target |")
    print("|---|---:|---:|---:|---:|")
    for label, services, days, target in COMMANDS:
        if label not in wanted:
            continue
        c = whole_command(services, days, args.repeat if label == "1M" else max(1, args.repeat // 2))
        print(f"| `python -m metrics --services {services} --days {days} --json` | {c['best_s']:.2f} s | "
              f"{c['median_s']:.2f} s | {c['peak_rss_mb']:,.0f} MB | < {target:g} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
