"""Stored datasets: imported events kept in an embedded SQLite database under a data directory.

The directory is ``METRICS_DATA_DIR`` (default ``./data``). A dataset is stored by column: the
times as int64 nanoseconds, the values as float64, each text column as int32 codes plus its
distinct texts, in BLOBs (so a million events load in a fraction of a second, not row by row).
Every write happens in one SQLite transaction, so a killed import leaves the previous state
intact, and every process (each gunicorn worker) sees the same datasets. Re-importing events a
dataset already holds adds nothing.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .ingest import LoadReport, check_pairs
from .tables import ts_ns

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_EVENTS = int(os.environ.get("METRICS_MAX_DATASET_EVENTS", "10000000"))
TEXT_COLUMNS = [c for c in s.COLUMNS if c not in ("ts", "metric_value")]
PART_BYTES = 64 * 1024 * 1024           # a column's BLOB is cut into parts of at most this size
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


_READY: set = set()                     # database files whose tables this process has set up


def data_dir() -> Path:
    return Path(os.environ.get("METRICS_DATA_DIR", "data"))


def _connect() -> sqlite3.Connection:
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the data directory {directory} ({e.strerror})") from None
    path = directory / "datasets.sqlite"
    ready = path.exists() and path.resolve() in _READY
    con = sqlite3.connect(path, timeout=30)
    if ready:
        return con
    con.execute("PRAGMA journal_mode=WAL")
    with con:
        con.execute("CREATE TABLE IF NOT EXISTS datasets (name TEXT PRIMARY KEY, events INTEGER NOT NULL, "
                    "first_ns INTEGER, last_ns INTEGER)")
        con.execute("CREATE TABLE IF NOT EXISTS columns (dataset TEXT NOT NULL, name TEXT NOT NULL, part INTEGER NOT NULL, "
                    "data BLOB NOT NULL, PRIMARY KEY (dataset, name, part))")
        con.execute("CREATE TABLE IF NOT EXISTS generations (dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
        _migrate_rows(con)
    _READY.add(path.resolve())
    return con


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise StoreError(f"dataset names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                         f"got {name!r}")
    return name


# ---------------------------------------------------------------------------------------------
# columns <-> BLOBs


def _encode(frame: pd.DataFrame) -> dict[str, bytes]:
    """Column name -> bytes: ``ts`` int64 ns, ``metric_value`` float64, each text column int32
    codes (``c``) and its distinct texts as a JSON list (``c.texts``)."""
    out = {"ts": ts_ns(frame["ts"]).astype("<i8").tobytes(),
           "metric_value": frame["metric_value"].to_numpy(dtype="<f8").tobytes()}
    for c in TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].astype(str), use_na_sentinel=False)
        out[c] = codes.astype("<i4").tobytes()
        out[c + ".texts"] = json.dumps([str(t) for t in texts]).encode("utf-8")
    return out


def _decode(blobs: dict[str, bytes], count: int) -> pd.DataFrame:
    """The event frame from ``_encode``'s bytes."""
    ts = np.frombuffer(blobs["ts"], dtype="<i8")
    columns = {"ts": pd.to_datetime(ts, utc=True, unit="ns"),
               "metric_value": np.frombuffer(blobs["metric_value"], dtype="<f8").copy()}
    for c in TEXT_COLUMNS:
        texts = np.asarray(json.loads(blobs[c + ".texts"].decode("utf-8")) or [""], dtype=object)
        columns[c] = texts[np.frombuffer(blobs[c], dtype="<i4")] if count else np.array([], dtype=object)
    frame = pd.DataFrame(columns)
    return frame[list(s.COLUMNS)]


def _write(con: sqlite3.Connection, name: str, frame: pd.DataFrame, progress=None) -> None:
    """Replace the dataset's stored columns with ``frame`` (inside the caller's transaction)."""
    con.execute("DELETE FROM columns WHERE dataset = ?", (name,))
    blobs = _encode(frame)
    for i, (column, data) in enumerate(blobs.items()):
        if progress:
            progress(i, len(blobs), f"storing {name}")
        for part, at in enumerate(range(0, max(len(data), 1), PART_BYTES)):
            con.execute("INSERT INTO columns VALUES (?, ?, ?, ?)", (name, column, part, data[at:at + PART_BYTES]))
    t = ts_ns(frame["ts"]) if len(frame) else None
    con.execute("INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?)",
                (name, len(frame), int(t.min()) if t is not None else None, int(t.max()) if t is not None else None))
    con.execute(BUMP_GENERATION, (name,))
    if progress:
        progress(len(blobs), len(blobs), f"stored {name}")


def _read(con: sqlite3.Connection, name: str) -> pd.DataFrame | None:
    row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    blobs: dict[str, bytearray] = {}
    for column, data in con.execute("SELECT name, data FROM columns WHERE dataset = ? ORDER BY name, part", (name,)):
        blobs.setdefault(column, bytearray()).extend(data)
    return _decode({k: bytes(v) for k, v in blobs.items()}, row[0])


def _migrate_rows(con: sqlite3.Connection) -> None:
    """Datasets written one row per event (before the columnar store) move to columns, once."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone():
        return
    for (name,) in con.execute("SELECT DISTINCT dataset FROM events").fetchall():
        frame = pd.read_sql_query("SELECT * FROM events WHERE dataset = ? ORDER BY rowid", con, params=(name,))
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), utc=True, unit="ns")
        frame["metric_value"] = frame["metric_value"].astype(float)
        _write(con, name, frame[list(s.COLUMNS)])
    con.execute("DROP TABLE events")


# ---------------------------------------------------------------------------------------------
# the operations


def load(name: str) -> pd.DataFrame:
    """The events of a stored dataset, as the validated event frame (``ingest.normalize``'s form)."""
    check_name(name)
    with closing(_connect()) as con:
        frame = _read(con, name)
    if frame is None:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return frame


def save(name: str, frame: pd.DataFrame, replace: bool = False, progress=None) -> tuple[int, int, LoadReport]:
    """Add validated events to a dataset (creating it), or replace its events with ``replace``.

    Exact duplicates of stored events are dropped; events that conflict with stored ones (a second
    ``incident_start`` for an id, ...) are rejected and reported. Returns (events stored, events
    added, report of the merge). One transaction: all or nothing. ``progress(done, total, what)``,
    when given, is called as the columns are written.
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
    combined, report, _ = check_pairs(combined, labels, [name] * len(combined))
    report.duplicates = int(dup.sum())
    if len(combined) > MAX_EVENTS:
        raise StoreError(f"dataset {name!r} would hold {len(combined):,} events, over the limit of {MAX_EVENTS:,} "
                         f"(METRICS_MAX_DATASET_EVENTS)")
    with closing(_connect()) as con:
        with con:          # one transaction: replaced whole or not at all
            _write(con, name, combined, progress)
    return len(combined), len(combined) - len(old), report


def save_lines(name: str, total: int, added: int, merge: LoadReport) -> list[str]:
    """What ``save`` did, as text lines: events not stored (conflicts), then the dataset's count."""
    lines = [f"  not stored ({row.row}): {row.reason}" for row in merge.rejected.itertuples()]
    return lines + [f"Dataset {name}: {total} events ({added:+d}; {merge.duplicates} already stored, "
                    f"{merge.rejected_count} in conflict with stored events)"]


def _load_or_empty(name: str) -> pd.DataFrame:
    try:
        return load(name)
    except StoreError:
        return pd.DataFrame({c: [] for c in s.COLUMNS})


def version(name: str) -> tuple:
    """A cheap token that changes whenever the dataset's events change (caches key on it): the
    data directory, the event count and the dataset's write generation."""
    check_name(name)
    with closing(_connect()) as con:
        row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
        generation = con.execute("SELECT generation FROM generations WHERE dataset = ?", (name,)).fetchone()
    if row is None:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return str(data_dir().resolve()), row[0], generation[0] if generation else 0


def list_datasets() -> list[DatasetInfo]:
    """Every stored dataset with its event count and time span."""
    with closing(_connect()) as con:
        rows = con.execute("SELECT name, events, first_ns, last_ns FROM datasets ORDER BY name").fetchall()
    return [DatasetInfo(n, c, pd.Timestamp(lo, tz="UTC") if lo is not None else None,
                        pd.Timestamp(hi, tz="UTC") if hi is not None else None) for n, c, lo, hi in rows]


def delete(name: str) -> int:
    """Delete a dataset; returns how many events it held."""
    check_name(name)
    with closing(_connect()) as con:
        with con:
            row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
            con.execute("DELETE FROM datasets WHERE name = ?", (name,))
            con.execute("DELETE FROM columns WHERE dataset = ?", (name,))
            con.execute(BUMP_GENERATION, (name,))
    if row is None:
        raise StoreError(f"no dataset named {name!r}")
    return row[0]
