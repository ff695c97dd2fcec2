"""Segments: each write adds one immutable segment per dataset (its columns as BLOBs, cut into
parts), indexed by the row hashes and pairing events that merging checks against; reading a
dataset joins its segments."""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from .. import schema as s
from ..tables import ts_ns
from .codec import TEXT_COLUMNS, encode, joined, row_hashes, to_columns, to_frame

PART_BYTES = 64 * 1024 * 1024           # a column's BLOB is cut into parts of at most this size
PAIRING_KINDS = (s.INCIDENT_START, s.INCIDENT_RESOLVED, s.PR_CREATED, s.PR_MERGED)
# every write to a dataset bumps its generation, so caches keyed on ``version`` never see stale events
BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET generation = generation + 1"


def write_segment(con: sqlite3.Connection, name: str, frame: pd.DataFrame, segment: int, progress=None) -> None:
    """Store ``frame`` as segment number ``segment`` of the dataset: each column's BLOB, in parts."""
    blobs = encode(frame)
    for i, (column, data) in enumerate(blobs.items()):
        if progress:
            progress(i, len(blobs), f"storing {name}")
        for part, at in enumerate(range(0, max(len(data), 1), PART_BYTES)):
            con.execute("INSERT INTO segments VALUES (?, ?, ?, ?, ?)", (name, segment, column, part, data[at:at + PART_BYTES]))
    con.execute("INSERT INTO segment_sizes VALUES (?, ?, ?)", (name, segment, len(frame)))
    if progress:
        progress(len(blobs), len(blobs), f"stored {name}")


def read_columns(con: sqlite3.Connection, name: str) -> dict | None:
    """The dataset's events as one ``to_columns`` dict (None when there is no such dataset)."""
    row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    sizes = dict(con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = ?", (name,)).fetchall())
    blobs: dict[int, dict[str, list]] = {}
    for segment, column, data in con.execute(
            "SELECT segment, name, data FROM segments WHERE dataset = ? ORDER BY segment, name, part", (name,)):
        blobs.setdefault(segment, {}).setdefault(column, []).append(data)
    segments = [to_columns({k: v[0] if len(v) == 1 else b"".join(v) for k, v in blobs[seg].items()}, sizes.get(seg, 0))
                for seg in sorted(blobs)]
    if not segments:
        empty = (np.array([], dtype=np.int32), np.array([""], dtype=object))
        return {"ts": np.array([], dtype=np.int64), "metric_value": np.array([], dtype=float),
                **{c: empty for c in TEXT_COLUMNS}}
    return joined(segments)


def read(con: sqlite3.Connection, name: str) -> pd.DataFrame | None:
    """The dataset's events as the event frame (None when there is no such dataset)."""
    columns = read_columns(con, name)
    if columns is None:
        return None
    if not len(columns["ts"]):
        return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns, UTC]" if c == "ts" else float
                                          if c == "metric_value" else object) for c in s.COLUMNS})
    return to_frame(columns)


def clear(con: sqlite3.Connection, name: str, keep_sync: bool = False) -> None:
    """Remove the dataset: its segments, indexes, sync state and last runs (its audit entries, its write
    generation and its webhook deliveries stay); ``keep_sync`` keeps the sync state and last runs (a
    compaction rewrites the events only)."""
    for table in ("segments", "segment_sizes", "event_hashes", "pair_events") + (() if keep_sync else
                                                                                ("sync_state", "sync_runs")):
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", (name,))
    con.execute("DELETE FROM datasets WHERE name = ?", (name,))


def index(con: sqlite3.Connection, name: str, frame: pd.DataFrame) -> None:
    """Record the hashes and the pairing events of newly stored events."""
    con.executemany("INSERT OR IGNORE INTO event_hashes VALUES (?, ?)", ((name, int(h)) for h in row_hashes(frame)))
    pairs = frame[frame["kind"].isin(PAIRING_KINDS)]
    ids = np.where(pairs["kind"].isin(s.INCIDENT_KINDS), pairs["incident_id"], pairs["pr_id"])
    con.executemany("INSERT OR IGNORE INTO pair_events VALUES (?, ?, ?, ?)",
                    ((name, k, i, int(t)) for k, i, t in zip(pairs["kind"], ids, ts_ns(pairs["ts"]))))


def replace_all(con: sqlite3.Connection, name: str, frame: pd.DataFrame, progress=None, keep_sync: bool = False) -> None:
    """The dataset becomes exactly ``frame``, in one segment (inside the caller's transaction);
    ``keep_sync``: its sources' sync states and last runs stay (a compaction)."""
    clear(con, name, keep_sync)
    write_segment(con, name, frame, 0, progress)
    index(con, name, frame)
    t = ts_ns(frame["ts"]) if len(frame) else None
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, 1)",
                (name, len(frame), int(t.min()) if t is not None else None, int(t.max()) if t is not None else None))
    con.execute(BUMP_GENERATION, (name,))
