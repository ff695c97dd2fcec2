"""Stored datasets: imported events kept in an embedded SQLite database under a data directory.

The directory is ``METRICS_DATA_DIR`` (default ``./data``). Every write happens in one SQLite
transaction, so a killed import leaves the previous state intact, and every process (each
gunicorn worker) sees the same datasets. Re-importing events a dataset already holds adds nothing.
"""
from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .events import LoadReport, _check_pairs
from .tables import ts_ns

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_EVENTS = int(os.environ.get("METRICS_MAX_DATASET_EVENTS", "10000000"))
TEXT_COLUMNS = [c for c in s.COLUMNS if c not in ("ts", "metric_value")]
# every write to a dataset bumps its generation, so caches keyed on ``version`` never see stale events
BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET generation = generation + 1"


class StoreError(Exception):
    """A dataset operation that cannot be done (bad name, unknown dataset, over the size limit)."""


@dataclass
class DatasetInfo:
    name: str
    events: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def data_dir() -> Path:
    return Path(os.environ.get("METRICS_DATA_DIR", "data"))


def _connect() -> sqlite3.Connection:
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the data directory {directory} ({e.strerror})") from None
    con = sqlite3.connect(directory / "datasets.sqlite", timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    columns = ", ".join(f"{c} TEXT NOT NULL" for c in TEXT_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS events (dataset TEXT NOT NULL, ts INTEGER NOT NULL, "
                f"metric_value REAL, {columns})")
    con.execute("CREATE INDEX IF NOT EXISTS events_dataset ON events (dataset)")
    con.execute("CREATE TABLE IF NOT EXISTS generations (dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
    return con


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise StoreError(f"dataset names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                         f"got {name!r}")
    return name


def load(name: str) -> pd.DataFrame:
    """The events of a stored dataset, as the validated event frame (``events.normalize``'s form)."""
    check_name(name)
    with closing(_connect()) as con:
        frame = pd.read_sql_query("SELECT * FROM events WHERE dataset = ? ORDER BY rowid", con, params=(name,))
    if frame.empty and name not in {d.name for d in list_datasets()}:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    frame = frame.drop(columns="dataset")
    frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), utc=True, unit="ns")
    frame["metric_value"] = frame["metric_value"].astype(float)
    return frame[list(s.COLUMNS)]


INSERT_CHUNK = 50_000


def save(name: str, frame: pd.DataFrame, replace: bool = False, progress=None) -> tuple[int, int, LoadReport]:
    """Add validated events to a dataset (creating it), or replace its events with ``replace``.

    Exact duplicates of stored events are dropped; events that conflict with stored ones (a second
    ``incident_start`` for an id, ...) are rejected and reported. Returns (events stored, events
    added, report of the merge). One transaction: all or nothing. ``progress(done, total, what)``,
    when given, is called as the events are written.
    """
    check_name(name)
    old = pd.DataFrame({c: [] for c in s.COLUMNS}) if replace else _load_or_empty(name)
    new = frame[list(s.COLUMNS)]
    combined = pd.concat([old.astype({"ts": "datetime64[ns, UTC]"}) if len(old) else old, new], ignore_index=True) \
        if len(old) else new.reset_index(drop=True)
    dup = combined.duplicated(keep="first").to_numpy()
    combined = combined[~dup].reset_index(drop=True)
    kept = np.flatnonzero(~dup)
    labels = np.where(kept < len(old), np.char.add("stored event ", (kept + 1).astype(str)),
                      np.char.add("imported event ", (kept + 1 - len(old)).astype(str))).astype(object)
    combined, report, _ = _check_pairs(combined, labels, [name] * len(combined))
    report.duplicates = int(dup.sum())
    if len(combined) > MAX_EVENTS:
        raise StoreError(f"dataset {name!r} would hold {len(combined):,} events, over the limit of {MAX_EVENTS:,} "
                         f"(METRICS_MAX_DATASET_EVENTS)")
    rows = pd.DataFrame({"dataset": name, "ts": ts_ns(combined["ts"]), "metric_value": combined["metric_value"]})
    for c in TEXT_COLUMNS:
        rows[c] = combined[c].astype(str).to_numpy()
    insert = (f"INSERT INTO events (dataset, ts, metric_value, {', '.join(TEXT_COLUMNS)}) "
              f"VALUES ({', '.join('?' * (3 + len(TEXT_COLUMNS)))})")
    values = rows.astype(object).where(rows.notna(), None)
    with closing(_connect()) as con:
        with con:          # one transaction: replaced whole or not at all
            con.execute("DELETE FROM events WHERE dataset = ?", (name,))
            con.execute(BUMP_GENERATION, (name,))
            for at in range(0, len(values), INSERT_CHUNK):
                if progress:
                    progress(at, len(values), f"storing {name}")
                con.executemany(insert, values.iloc[at:at + INSERT_CHUNK].itertuples(index=False, name=None))
            if progress:
                progress(len(values), len(values), f"stored {name}")
    return len(combined), len(combined) - len(old), report


def _load_or_empty(name: str) -> pd.DataFrame:
    try:
        return load(name)
    except StoreError:
        return pd.DataFrame({c: [] for c in s.COLUMNS})


def version(name: str) -> tuple:
    """A cheap token that changes whenever the dataset's events change (caches key on it): the
    data directory, the event count, the last row id and the dataset's write generation."""
    check_name(name)
    with closing(_connect()) as con:
        count, last = con.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM events WHERE dataset = ?", (name,)).fetchone()
        generation = con.execute("SELECT generation FROM generations WHERE dataset = ?", (name,)).fetchone()
    if not count:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return str(data_dir().resolve()), count, last, generation[0] if generation else 0


def list_datasets() -> list[DatasetInfo]:
    """Every stored dataset with its event count and time span."""
    with closing(_connect()) as con:
        rows = con.execute("SELECT dataset, COUNT(*), MIN(ts), MAX(ts) FROM events GROUP BY dataset ORDER BY dataset").fetchall()
    return [DatasetInfo(n, c, pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC")) for n, c, lo, hi in rows]


def delete(name: str) -> int:
    """Delete a dataset; returns how many events it held."""
    check_name(name)
    with closing(_connect()) as con:
        with con:
            count = con.execute("DELETE FROM events WHERE dataset = ?", (name,)).rowcount
            con.execute(BUMP_GENERATION, (name,))
    if not count:
        raise StoreError(f"no dataset named {name!r}")
    return count
