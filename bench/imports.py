"""``import --from events`` side by side with DuckDB's native path on the same event CSV, at several
sizes: DuckDB creates a table from the CSV in a database file (``CREATE TABLE events AS SELECT *
FROM read_csv(...)``); this version (and a previous one, ``--previous PATH``) imports it into an
empty data directory. Whole processes, in turn (ours, DuckDB, ours, ...), CPU time (user +
system) per event, peak RSS per event and the bytes on disk per event, medians.

    python -m bench.imports [--sizes 1000000,2000000,4000000] [--repeat 3] [--previous ../old-checkout]

Linear means the CPU per event stays the same across the sizes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .events import LAUNCH
from .load import MAKE_FILES, ROOT

DUCKDB = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?)", [sys.argv[1]])
con.close()
"""


def run(command: list[str], tree: Path, env: dict) -> tuple[float, float]:
    """One whole process: its CPU seconds (user + system) and peak RSS in MB."""
    done = subprocess.run([sys.executable, "-c", LAUNCH] + command, cwd=tree, capture_output=True, text=True,
                          timeout=7200, env=dict(os.environ, PYTHONPATH=str(tree), **env))
    got = json.loads(done.stdout)
    if got["rc"]:
        raise SystemExit(f"{' '.join(command)} failed:\n{got['err']}")
    return got["cpu"], got["peak_mb"]


def size_of(path: Path) -> int:
    """Bytes of a file or of every file under a directory."""
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv=None) -> int:
    """Print the table: each size's CSV generated, then imported by each command in turn."""
    p = argparse.ArgumentParser(prog="python -m bench.imports")
    p.add_argument("--sizes", default="1000000,2000000,4000000", help="event counts, comma-separated")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--previous", type=Path, help="a checkout of an earlier version, measured beside this one")
    args = p.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as name:
        folder = Path(name)
        for events in sizes:
            csv = folder / f"events-{events}.csv"
            code = MAKE_FILES.format(events=events, csv=csv, duckdb=folder / "unused.duckdb")
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
            (folder / "unused.duckdb").unlink(missing_ok=True)
            ours = [sys.executable, "-m", "metrics", "import", "--from", "events", str(csv), "--name", "big"]
            data = folder / "data"
            commands = {"this version": (ours, ROOT, data), "DuckDB": ([sys.executable, "-c", DUCKDB, str(csv),
                                                                        str(folder / "db.duckdb")], ROOT, folder / "db.duckdb")}
            if args.previous:
                commands["previous version"] = (ours, args.previous.resolve(), data)
            runs = {label: [] for label in commands}
            disk = {}
            for _ in range(args.repeat):                # in turn, so a drift of the machine meets all alike
                for label, (command, tree, out) in commands.items():
                    shutil.rmtree(data, ignore_errors=True)
                    (folder / "db.duckdb").unlink(missing_ok=True)
                    runs[label].append(run(command, tree, {"METRICS_DATA_DIR": str(data)}))
                    disk[label] = size_of(out)
            for label, got in runs.items():
                cpu, peak = statistics.median(r[0] for r in got), statistics.median(r[1] for r in got)
                rows.append((events, label, cpu, cpu / events * 1e6, peak * 1024 * 1024 / events, disk[label] / events))
            csv.unlink()
    print(f"`import --from events` of a generated event CSV, whole processes, median of {args.repeat} (in turn)\n")
    print("| events | | CPU | CPU per event | peak RSS per event | on disk per event |")
    print("|---:|---|---:|---:|---:|---:|")
    for events, label, cpu, per, peak, disk in rows:
        print(f"| {events:,} | {label} | {cpu:.2f} s | {per:.2f} us | {peak:.0f} B | {disk:.1f} B |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
