"""Segments: each write adds one immutable segment per dataset, three BLOBs cut into parts
(``columnar``: its events, its sorted row hashes, its pairing events); reading a dataset joins its
segments' events, merging reads only their hashes and pairing events."""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from .codec import columns_of, empty_frame, joined, to_frame
from .columnar import events_bytes, events_columns, hashes, hashes_bytes, pairing_events, pairs_bytes

PART_BYTES = 64 * 1024 * 1024           # a BLOB is cut into parts of at most this size
EVENTS, HASHES, PAIRS = "events", "hashes", "pairs"       # a segment's BLOBs (``segments.name``)
# every write to a dataset bumps its generation, so caches keyed on ``version`` never see stale events
BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET generation = generation + 1"


def write_segment(con: sqlite3.Connection, name: str, columns: dict, segment: int, progress=None,
                  hashed: np.ndarray | None = None) -> None:
    """Store events (``codec.to_columns``' arrays) as segment number ``segment`` of the dataset:
    their events file, their sorted row hashes (``hashed``: already computed by the caller) and
    their pairing events, each BLOB in parts."""
    writers = {EVENTS: events_bytes, HASHES: lambda c: hashes_bytes(c, hashed), PAIRS: pairs_bytes}
    for i, (blob, write) in enumerate(writers.items()):
        if progress:
            progress(i, len(writers), f"storing {name}")
        data = write(columns)
        for part, at in enumerate(range(0, max(len(data), 1), PART_BYTES)):
            con.execute("INSERT INTO segments VALUES (?, ?, ?, ?, ?)", (name, segment, blob, part, data[at:at + PART_BYTES]))
    con.execute("INSERT INTO segment_sizes VALUES (?, ?, ?)", (name, segment, len(columns["ts"])))
    if progress:
        progress(len(writers), len(writers), f"stored {name}")


def _blobs(con: sqlite3.Connection, name: str, blob: str) -> list[bytes]:
    """One of the dataset's BLOBs (``EVENTS``, ``HASHES`` or ``PAIRS``) of each segment, in segment order."""
    parts: dict[int, list[bytes]] = {}
    for segment, data in con.execute("SELECT segment, data FROM segments WHERE dataset = ? AND name = ? "
                                     "ORDER BY segment, part", (name, blob)):
        parts.setdefault(segment, []).append(data)
    return [v[0] if len(v) == 1 else b"".join(v) for _, v in sorted(parts.items())]


def read_columns(con: sqlite3.Connection, name: str) -> dict | None:
    """The dataset's events as one ``codec.to_columns`` dict (None when there is no such dataset)."""
    if con.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone() is None:
        return None
    segments = [events_columns(data) for data in _blobs(con, name, EVENTS)]
    return joined(segments) if segments else columns_of(empty_frame())


def read(con: sqlite3.Connection, name: str) -> pd.DataFrame | None:
    """The dataset's events as the event frame (None when there is no such dataset)."""
    columns = read_columns(con, name)
    if columns is None:
        return None
    return to_frame(columns) if len(columns["ts"]) else empty_frame()


def stored_already(con: sqlite3.Connection, name: str, new_hashes: np.ndarray) -> np.ndarray:
    """Whether each of ``new_hashes`` (``codec.row_hashes``) is the hash of a stored event: a
    binary search in each segment's sorted hashes, without reading the stored events."""
    found = np.zeros(len(new_hashes), dtype=bool)
    for data in _blobs(con, name, HASHES):
        stored = hashes(data)
        if len(stored):
            at = np.minimum(np.searchsorted(stored, new_hashes), len(stored) - 1)
            found |= stored[at] == new_hashes
    return found


def stored_pairs(con: sqlite3.Connection, name: str, ids: list[str]) -> dict[tuple[str, str], int]:
    """(kind, id) -> time (ns) of the stored pairing events whose id is one of ``ids`` (the first
    stored of each, as merging kept it)."""
    found: dict[tuple[str, str], int] = {}
    for data in _blobs(con, name, PAIRS):
        for kind, ident, t in pairing_events(data, ids):
            found.setdefault((kind, ident), t)
    return found


def clear(con: sqlite3.Connection, name: str, keep_sync: bool = False) -> None:
    """Remove the dataset: its segments, sync state and last runs (its audit entries, its write
    generation and its webhook deliveries stay); ``keep_sync`` keeps the sync state and last runs (a
    compaction rewrites the events only)."""
    for table in ("segments", "segment_sizes") + (() if keep_sync else ("sync_state", "sync_runs")):
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", (name,))
    con.execute("DELETE FROM datasets WHERE name = ?", (name,))


def replace_all(con: sqlite3.Connection, name: str, columns: dict, progress=None, keep_sync: bool = False) -> None:
    """The dataset becomes exactly these events (``codec.to_columns``' arrays; ``codec.columns_of``
    of a frame), in one segment (inside the caller's transaction); ``keep_sync``: its sources' sync
    states and last runs stay (a compaction)."""
    clear(con, name, keep_sync)
    write_segment(con, name, columns, 0, progress)
    t = columns["ts"]
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, 1)",
                (name, len(t), int(t.min()) if len(t) else None, int(t.max()) if len(t) else None))
    con.execute(BUMP_GENERATION, (name,))
