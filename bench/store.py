"""The store's speed, side by side: the SQLite file and the PostgreSQL database ``--database URL``
names, in one run and one table; also a previous version (``--previous PATH``, a checkout of an
older commit, on SQLite) and DuckDB doing the same with its own table.

    python -m bench.store [--database postgresql://USER@HOST/DB] [--events 1000000]
                          [--view-events 10000000] [--previous ../old-checkout]

Rows: append 10 events to a dataset of N events; load N events; a 30-day view of a dataset of
``--view-events`` events (rows read and time: PostgreSQL reads only the window with
``store.load_window``, SQLite the whole dataset; "not measured" in a version without it); 20
writers appending 50 events each at once; 20 webhook senders on two gunicorn servers sharing the
store (whether any event was lost). Each measurement runs in a fresh process, on events generated
once for the run. On PostgreSQL every dataset the run makes is named ``bench-<run>-...`` and
deleted at its end: the database's other datasets are not touched.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.webhooks import SECRET, delivery, gunicorn, post

ROOT = Path(__file__).resolve().parent.parent
DATABASE_SETTINGS = ("METRICS_DATABASE_URL", "METRICS_DATABASE_PASSWORD_FILE")
# the limits (issue 25), printed under the table
LIMITS = "limits: append < 50 ms on PostgreSQL; 30-day view of 10M events < 1 s reading only its window; load within 3x of SQLite; nothing lost"

GENERATE = """
from bench import services_for
from metrics import generate, frame_from_tables
for events, path in (({events}, {frame!r}), ({view_events}, {view!r})):
    if not events:
        continue
    u = generate(365, 42, services=services_for(events), end="2026-11-22")
    frame_from_tables(u.tables).head(events).to_pickle(path)
print("{{}}")
"""
SETUP = """
import json, time
import pandas as pd
from metrics import store
frame = pd.read_pickle({frame!r})
big = {prefix!r} + "big"
"""
MEASURE_APPEND = SETUP + """
small = frame.tail(10).copy()
small["deploy_id"] = small["deploy_id"] + "-new"
small["ts"] = small["ts"] + pd.Timedelta(seconds=1)
store.save(big, frame)
try:
    t = time.perf_counter()
    store.save(big, small)
    seconds = time.perf_counter() - t
    print(json.dumps({{"seconds": seconds, "events": len(store.load(big))}}))
finally:
    store.delete(big)
"""
MEASURE_LOAD = SETUP + """
store.save(big, frame)
try:
    t = time.perf_counter()
    n = len(store.load(big))
    print(json.dumps({{"seconds": time.perf_counter() - t, "events": n}}))
finally:
    store.delete(big)
"""
MEASURE_VIEW = """
import json, time
import pandas as pd
from metrics import store, frame_from_tables
load_window = getattr(store, "load_window", None)
if load_window is None:
    print(json.dumps({{"missing": "metrics.store.load_window"}}))
    raise SystemExit(0)
from metrics.reach import reach
from metrics.window import Window
view = pd.read_pickle({view!r})
name = {prefix!r} + "view"
store.save(name, view)
try:
    window = Window.ending(view["ts"].max() + pd.Timedelta(days=1), 30)
    t = time.perf_counter()
    tables = load_window(name, reach(window))
    seconds = time.perf_counter() - t
    rows = len(frame_from_tables(tables))
    print(json.dumps({{"seconds": seconds, "rows": rows, "of": len(view),
                      "window_only": bool(getattr(store, "reads_windows", lambda: False)())}}))
finally:
    store.delete(name)
"""
MEASURE_WRITERS = """
import json, time
from concurrent.futures import ProcessPoolExecutor
import pandas as pd
from metrics import normalize, store
NAME = {prefix!r} + "many"

def batch(i):
    ts = pd.date_range(f"2024-{{1 + i // 28:02d}}-{{1 + i % 28:02d}}", periods=50, freq="min", tz="UTC")
    frame, _ = normalize(pd.DataFrame({{"ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": "deploy", "service": "api",
                                        "deploy_id": [f"w{{i}}-{{k}}" for k in range(50)]}}))
    return frame

def write(i):
    return store.save(NAME, batch(i))[1]

if __name__ == "__main__":
    store.save(NAME, batch(99))
    try:
        t = time.perf_counter()
        with ProcessPoolExecutor(20) as pool:
            added = list(pool.map(write, range(20)))
        seconds = time.perf_counter() - t
        print(json.dumps({{"seconds": seconds, "events": len(store.load(NAME)), "added": sum(added)}}))
    finally:
        store.delete(NAME)
"""
COUNT_AND_DELETE = """
import json
from metrics import store
found = {{d.name: d.events for d in store.list_datasets()}}.get({name!r}, 0)
if found:
    store.delete({name!r})
print(json.dumps({{"events": found}}))
"""
DUCKDB = """
import json, time, duckdb
import pandas as pd
frame = pd.read_pickle({frame!r})
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
SENDERS, SENT_EACH = 20, 25                  # the two-server writers: 20 senders, 25 deliveries each


def environment(data: str, database: str | None) -> dict:
    """The environment of a measurement: the data directory, and the PostgreSQL URL or none (SQLite)."""
    env = {k: v for k, v in os.environ.items() if k not in DATABASE_SETTINGS}
    env.update(METRICS_DATA_DIR=data)
    if database:
        env["METRICS_DATABASE_URL"] = database
    return env


def run(code: str, tree: Path, env: dict) -> dict:
    """Run ``code`` in a fresh process of the checkout ``tree``: the JSON object it prints last."""
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=dict(env, PYTHONPATH=str(tree)),
                          capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise SystemExit(f"measurement failed in {tree}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def two_servers(tree: Path, env: dict, prefix: str) -> dict:
    """``SENDERS`` senders at once, each delivery to one of two gunicorn servers on the same store
    (alternately), every delivery a new event: the events stored (then deleted) and the time."""
    env = dict(env, PYTHONPATH=str(tree), GITHUB_WEBHOOK_SECRET=SECRET)
    name = prefix + "hooks"
    with gunicorn(env, tree) as one, gunicorn(env, tree) as other:
        jobs = []
        for i in range(SENDERS * SENT_EACH):
            body, headers = delivery(i)
            jobs.append(((one, other)[i % 2], body, {**headers, "X-GitHub-Delivery": f"{prefix}{i}"}))
        started = time.perf_counter()
        with ThreadPoolExecutor(SENDERS) as pool:
            answers = list(pool.map(lambda job: post(f"{job[0]}/webhooks/github/{name}", job[1], job[2]), jobs))
        seconds = time.perf_counter() - started
    stored = run(COUNT_AND_DELETE.format(name=name), tree, env)["events"]
    return {"seconds": seconds, "sent": len(jobs), "ok": sum(1 for status, _, _ in answers if status == 200),
            "events": stored}


def measure(tree: Path, files: dict, database: str | None, this_version: bool) -> dict:
    """Every measurement of the checkout ``tree`` on one store (fresh data directory each)."""
    prefix = f"bench-{secrets.token_hex(4)}-"
    codes = [("append", MEASURE_APPEND), ("load", MEASURE_LOAD), ("writers", MEASURE_WRITERS)]
    if this_version and Path(files["view"]).exists():
        codes.insert(2, ("view", MEASURE_VIEW))
    out = {"view": None} if this_version else {}
    for name, code in codes:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as data:
            out[name] = run(code.format(prefix=prefix, **files), tree, environment(data, database))
    with tempfile.TemporaryDirectory(prefix="bench-store-") as data:
        out["servers"] = two_servers(tree, environment(data, database), prefix)
    return out


def view_cell(view: dict | None) -> str:
    if view is None:
        return "left out (--view-events 0)"
    if "missing" in view:
        return f"not measured (this version has no {view['missing']})"
    how = "its window" if view["window_only"] else "the whole dataset"
    return f"{view['seconds']:.3f} s, {view['rows']:,} of {view['of']:,} rows read ({how})"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.store")
    p.add_argument("--events", type=int, default=1_000_000, help="the dataset appended to and loaded (default 1M)")
    p.add_argument("--view-events", type=int, default=10_000_000,
                   help="the dataset of the 30-day view (default 10M; 0 leaves the view out)")
    p.add_argument("--database", metavar="URL", help="a PostgreSQL database measured beside SQLite (postgresql://...)")
    p.add_argument("--previous", type=Path, help="a checkout of an earlier version, measured beside this one (SQLite)")
    args = p.parse_args(argv)
    where = None
    if args.database:
        from metrics.store import StoreError
        from metrics.store.database import parse
        try:
            where = parse(args.database, os.environ.get("METRICS_DATABASE_PASSWORD_FILE") or None).where()
        except StoreError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="bench-store-events-") as folder:
        files = {"frame": str(Path(folder) / "frame.pkl"), "view": str(Path(folder) / "view.pkl")}
        run(GENERATE.format(events=args.events, view_events=args.view_events, **files), ROOT, dict(os.environ))
        columns = {"SQLite": measure(ROOT, files, None, True)}
        if args.database:
            columns["PostgreSQL"] = measure(ROOT, files, args.database, True)
        if args.previous:
            columns["previous version (SQLite)"] = measure(args.previous.resolve(), files, None, False)
        duck = run(DUCKDB.format(path=Path(folder) / "events.duckdb", **files), ROOT, dict(os.environ))
    names = list(columns) + ["DuckDB"]
    print(f"Store, {args.events:,} events (each figure from a fresh process)"
          + (f"; PostgreSQL: {where}" if where else "") + "\n")
    print("| operation | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = [("append 10 events to the dataset", [f"{c['append']['seconds']:.3f} s" for c in columns.values()]
             + [f"{duck['append']:.3f} s"]),
            (f"load the {args.events:,} events", [f"{c['load']['seconds']:.3f} s" for c in columns.values()]
             + [f"{duck['load']:.3f} s"]),
            (f"30-day view of {args.view_events:,} events: time, rows read",
             [view_cell(c["view"]) if "view" in c else "" for c in columns.values()] + [""])]
    writers, servers = [], []
    for c in columns.values():
        w = c["writers"]
        writers.append(f"{20 * 50 / w['seconds']:,.0f} events/s, {20 * 50 + 50 - w['events']} lost")
        s = c["servers"]
        servers.append(f"{s['sent'] / s['seconds']:,.0f} events/s, {s['sent'] - s['ok']} refused, "
                       f"{s['sent'] - s['events']} lost")
    rows += [("20 writers x 50 events at once", writers + [""]),
             (f"{SENDERS} webhook senders x {SENT_EACH} deliveries on two servers", servers + [""])]
    for label, values in rows:
        print(f"| {label} | " + " | ".join(values) + " |")
    print(f"\n{LIMITS}")
    lost = any(c["writers"]["events"] != 20 * 50 + 50 or c["servers"]["events"] != c["servers"]["sent"]
               for c in columns.values())
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
