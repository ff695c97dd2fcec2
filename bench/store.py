"""The store's speed, side by side: this version, a previous version (``--previous PATH``, a checkout
of an older commit) and DuckDB doing the same with its own table.

    python -m bench.store [--events 1000000] [--previous ../old-checkout]

Rows: append 10 events to a dataset of N events; load N events; 20 writers appending 50 events
each at once (events/s, and whether any was lost). Each measurement runs in a fresh process.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import sys, time, json
from metrics import generate, frame_from_tables
from metrics import store
u = generate(365, 42, services=max(1, round({events} / 2400)), end="2026-11-22")
frame = frame_from_tables(u.tables).head({events})
small = frame.tail(10).copy()
small["deploy_id"] = small["deploy_id"] + "-new"
small["ts"] = small["ts"] + __import__("pandas").Timedelta(seconds=1)
"""
MEASURE_APPEND = SETUP + """
store.save("big", frame)
t = time.perf_counter()
store.save("big", small)
print(json.dumps({{"seconds": time.perf_counter() - t, "events": len(store.load("big"))}}))
"""
MEASURE_LOAD = SETUP + """
store.save("big", frame)
t = time.perf_counter()
n = len(store.load("big"))
print(json.dumps({{"seconds": time.perf_counter() - t, "events": n}}))
"""
MEASURE_WRITERS = """
import json, time
from concurrent.futures import ProcessPoolExecutor
import pandas as pd
from metrics import normalize, store

def batch(i):
    ts = pd.date_range(f"2024-{{1 + i // 28:02d}}-{{1 + i % 28:02d}}", periods=50, freq="min", tz="UTC")
    frame, _ = normalize(pd.DataFrame({{"ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": "deploy", "service": "api",
                                        "deploy_id": [f"w{{i}}-{{k}}" for k in range(50)]}}))
    return frame

def write(i):
    return store.save("many", batch(i))[1]

if __name__ == "__main__":
    store.save("many", batch(99))
    t = time.perf_counter()
    with ProcessPoolExecutor(20) as pool:
        added = list(pool.map(write, range(20)))
    seconds = time.perf_counter() - t
    print(json.dumps({{"seconds": seconds, "events": len(store.load("many")), "added": sum(added)}}))
"""
DUCKDB = """
import json, time, duckdb
from metrics import generate, frame_from_tables
u = generate(365, 42, services=max(1, round({events} / 2400)), end="2026-11-22")
frame = frame_from_tables(u.tables).head({events})
con = duckdb.connect("{path}")
con.execute("CREATE TABLE events AS SELECT * FROM frame")
small = frame.tail(10)
t = time.perf_counter()
con.execute("INSERT INTO events SELECT * FROM small")
append = time.perf_counter() - t
con.close()
con = duckdb.connect("{path}")
t = time.perf_counter()
n = len(con.execute("SELECT * FROM events").df())
load = time.perf_counter() - t
print(json.dumps({{"append": append, "load": load, "events": n}}))
"""


def run(code: str, tree: Path, data: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), METRICS_DATA_DIR=data)
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise SystemExit(f"measurement failed in {tree}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(tree: Path, events: int) -> dict:
    out = {}
    for name, code in (("append", MEASURE_APPEND), ("load", MEASURE_LOAD), ("writers", MEASURE_WRITERS)):
        with tempfile.TemporaryDirectory(prefix="bench-store-") as data:
            out[name] = run(code.format(events=events), tree, data)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.store")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--previous", type=Path, help="a checkout of an earlier version, measured beside this one")
    args = p.parse_args(argv)
    columns = {"this version": measure(ROOT, args.events)}
    if args.previous:
        columns["previous version"] = measure(args.previous.resolve(), args.events)
    with tempfile.TemporaryDirectory(prefix="bench-duckdb-") as folder:
        duck = run(DUCKDB.format(events=args.events, path=Path(folder) / "events.duckdb"), ROOT, folder)
    names = list(columns) + ["DuckDB"]
    print(f"Store, {args.events:,} events (each figure from a fresh process)\n")
    print("| operation | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = [("append 10 events to the dataset", [c["append"]["seconds"] for c in columns.values()] + [duck["append"]]),
            (f"load the {args.events:,} events", [c["load"]["seconds"] for c in columns.values()] + [duck["load"]])]
    for label, values in rows:
        print(f"| {label} | " + " | ".join(f"{v:.3f} s" for v in values) + " |")
    writers = []
    for c in columns.values():
        w = c["writers"]
        lost = 20 * 50 + 50 - w["events"]
        writers.append(f"{20 * 50 / w['seconds']:,.0f} events/s, {lost} lost")
    print("| 20 writers x 50 events at once | " + " | ".join(writers) + " | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
