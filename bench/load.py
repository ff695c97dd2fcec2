"""Loading, side by side: this version, a previous version (``--previous PATH``, a checkout of an
older commit) and DuckDB doing the same with its own reader.

    python -m bench.load [--events 1000000] [--repeat 5] [--previous ../old-checkout]
    python -m bench load ...        (the same)

Rows: N stored events into the per-kind tables the metrics use (DuckDB: its table of the same
events into a DataFrame); an N-row event CSV into text cells (DuckDB: ``read_csv`` with every
column as text); the same CSV read and validated into the event frame. Each figure is the median of
``--repeat`` runs in a fresh process of its own, after one run not counted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import services_for

ROOT = Path(__file__).resolve().parent.parent

MAKE = """
from metrics import generate, frame_from_tables
u = generate(365, 42, services={services}, end="2026-11-22")
frame = frame_from_tables(u.tables).head({events})
"""
MAKE_FILES = MAKE + """
import duckdb
text = frame.copy()
text["ts"] = text["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
text["metric_value"] = [("" if v != v else repr(v)) for v in text["metric_value"]]
text.to_csv("{csv}", index=False)
con = duckdb.connect("{duckdb}")
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE events AS SELECT * FROM frame")
"""
MAKE_STORE = MAKE + """
from metrics import store
store.save("big", frame)
"""
TIMED = """
import json, statistics, time
{setup}
times = []
for _ in range({repeat} + 1):
    t = time.perf_counter()
    n = {run}
    times.append(time.perf_counter() - t)
print(json.dumps({{"seconds": statistics.median(times[1:]), "rows": n}}))
"""
TABLES = dict(setup="from metrics import store\nfrom metrics.tables import tables_from_frame",
              run="(store.load_tables('big') if hasattr(store, 'load_tables') else "
                  "tables_from_frame(store.load('big'))).event_count()")
CELLS = dict(setup="from pathlib import Path\nfrom metrics.ingest.files import read_text\n"
                   "from metrics.ingest.sources.events.reader import raw_from_csv",
             run="len(raw_from_csv(read_text(Path('{csv}')), 'events.csv')[0])")
VALIDATED = dict(setup="from metrics.ingest.files import load_file", run="len(load_file('{csv}')[0])")
DUCK_TABLE = dict(setup="import duckdb\ncon = duckdb.connect('{duckdb}', read_only=True)\n"
                        "con.execute('SET enable_progress_bar = false')",
                  run="len(con.execute('SELECT * FROM events').df())")
DUCK_CELLS = dict(setup="import duckdb\ncon = duckdb.connect()\ncon.execute('SET enable_progress_bar = false')",
                  run="len(con.sql(\"SELECT * FROM read_csv('{csv}', all_varchar=true)\").df())")


def run(code: str, tree: Path, data: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), METRICS_DATA_DIR=data)
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise SystemExit(f"measurement failed in {tree}:\n{done.stderr[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def timed(what: dict, tree: Path, data: str, repeat: int, **paths) -> float:
    code = TIMED.format(setup=what["setup"].format(**paths), run=what["run"].format(**paths), repeat=repeat)
    return run(code, tree, data)["seconds"]


def measure(tree: Path, folder: Path, events: int, repeat: int, paths: dict) -> dict:
    data = str(folder / f"store-{tree.name}")
    run(MAKE_STORE.format(events=events, services=services_for(events)), tree, data)
    return {"tables": timed(TABLES, tree, data, repeat, **paths),
            "cells": timed(CELLS, tree, data, repeat, **paths),
            "validated": timed(VALIDATED, tree, data, repeat, **paths)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--previous", type=Path, help="a checkout of an earlier version, measured beside this one")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        folder = Path(name)
        paths = {"csv": str(folder / "events.csv"), "duckdb": str(folder / "events.duckdb")}
        run(MAKE_FILES.format(events=args.events, services=services_for(args.events), **paths), ROOT, str(folder / "unused"))
        columns = {}
        if args.previous:
            columns["previous version"] = measure(args.previous.resolve(), folder, args.events, args.repeat, paths)
        columns["this version"] = measure(ROOT, folder, args.events, args.repeat, paths)
        duck = {"tables": timed(DUCK_TABLE, ROOT, name, args.repeat, **paths),
                "cells": timed(DUCK_CELLS, ROOT, name, args.repeat, **paths)}
    names = list(columns) + ["DuckDB"]
    print(f"Loading {args.events:,} events (each figure: a fresh process, median of {args.repeat} runs after one)\n")
    print("| operation | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = [("stored events into the per-kind tables (DuckDB: its table into a DataFrame)", "tables"),
            ("event CSV into text cells (DuckDB: `read_csv`, all columns text)", "cells"),
            ("event CSV read and validated", "validated")]
    for label, key in rows:
        values = [c[key] for c in columns.values()] + [duck.get(key)]
        print(f"| {label} | " + " | ".join("" if v is None else f"{v:.3f} s" for v in values) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
