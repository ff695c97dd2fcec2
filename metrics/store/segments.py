"""Segments: each write adds one immutable segment per dataset, three BLOBs cut into parts
(``columnar``: its events, its sorted row hashes, its pairing events) and a fourth, its sums (the
length and CRC-32 of the other three, written with them); reading a dataset joins its segments'
events, merging reads only their hashes and pairing events.

Every read checks what it relies on: the dataset's segments, counts and BLOB lengths as written
(``layout``: SQLite gives a BLOB's length without reading it), and the checksum and form of each
BLOB it reads. Damage is ``errors.Damaged`` (which dataset and segment); ``integrity`` checks
everything and repairs."""
from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codec import columns_of, empty_frame, joined, to_frame
from .columnar import UNREADABLE, events_bytes, events_columns, hashes, hashes_bytes, pairing_events, pairs_bytes, \
    unreadable
from .errors import Damaged

PART_BYTES = 64 * 1024 * 1024           # a BLOB is cut into parts of at most this size
MAX_SEGMENTS = 64                       # past this many segments, a write compacts the dataset into one
EVENTS, HASHES, PAIRS, SUMS = "events", "hashes", "pairs", "sums"       # a segment's BLOBs (``segments.name``)
BLOBS = (EVENTS, HASHES, PAIRS)         # the BLOBs the sums are of, in the sums' order
# every write to a dataset bumps its generation, so caches keyed on ``version`` never see stale events
BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET " \
                  "generation = generations.generation + 1"       # (both backends)


def sums_bytes(blobs: dict[str, bytes]) -> bytes:
    """The length and CRC-32 of each of a segment's ``BLOBS``, as little-endian int64 pairs."""
    return np.array([v for b in BLOBS for v in (len(blobs[b]), zlib.crc32(blobs[b]))], dtype="<i8").tobytes()


def sums_of(data: bytes) -> dict[str, tuple[int, int]] | None:
    """``sums_bytes``' (length, CRC-32) of each BLOB; None when ``data`` is not such a BLOB."""
    if len(data) != 16 * len(BLOBS):
        return None
    values = np.frombuffer(data, dtype="<i8").tolist()
    return {b: (values[2 * i], values[2 * i + 1]) for i, b in enumerate(BLOBS)}


def _insert(con: sqlite3.Connection, name: str, segment: int, blob: str, data: bytes) -> None:
    """One BLOB of a segment, in parts of ``PART_BYTES``."""
    for part, at in enumerate(range(0, max(len(data), 1), PART_BYTES)):
        con.execute("INSERT INTO segments VALUES (?, ?, ?, ?, ?)", (name, segment, blob, part, data[at:at + PART_BYTES]))


def write_segment(con: sqlite3.Connection, name: str, columns: dict, segment: int, progress=None,
                  hashed: np.ndarray | None = None) -> None:
    """Store events (``codec.to_columns``' arrays) as segment number ``segment`` of the dataset:
    their events file, their sorted row hashes (``hashed``: already computed by the caller) and
    their pairing events, each BLOB in parts, and the three's sums."""
    writers = {EVENTS: events_bytes, HASHES: lambda c: hashes_bytes(c, hashed), PAIRS: pairs_bytes}
    written = {}
    for i, (blob, write) in enumerate(writers.items()):
        if progress:
            progress(i, len(writers), f"storing {name}")
        written[blob] = write(columns)
        _insert(con, name, segment, blob, written[blob])
    _insert(con, name, segment, SUMS, sums_bytes(written))
    con.execute("INSERT INTO segment_sizes VALUES (?, ?, ?)", (name, segment, len(columns["ts"])))
    if progress:
        progress(len(writers), len(writers), f"stored {name}")


def segment_blobs(con: sqlite3.Connection, name: str, segment: int) -> dict[str, bytes]:
    """Each BLOB one segment of the dataset has, by name (its parts joined)."""
    return {blob: b"".join(data for _, data in rows) for blob, rows in _grouped(con.execute(
        "SELECT name, data FROM segments WHERE dataset = ? AND segment = ? ORDER BY name, part", (name, segment)))}


def write_sums(con: sqlite3.Connection, name: str, segment: int) -> bool:
    """Write (again) the sums of a segment's BLOBs as they are now; False, writing nothing, when
    one of them is missing. For segments written before sums were kept, and for a repair."""
    blobs = segment_blobs(con, name, segment)
    if not all(b in blobs for b in BLOBS):
        return False
    con.execute("DELETE FROM segments WHERE dataset = ? AND segment = ? AND name = ?", (name, segment, SUMS))
    _insert(con, name, segment, SUMS, sums_bytes(blobs))
    return True


@dataclass
class Layout:
    """A dataset's segments as the cheap queries see them (no BLOB read but the sums): the events
    its row says it holds (None: no row), each segment's row count and sums, what is wrong."""
    name: str
    said: int | None
    sizes: dict[int, int]                               # segment -> its events (``segment_sizes``)
    sums: dict[int, dict[str, tuple[int, int]]]         # segment -> BLOB -> (length, CRC-32) as written
    damaged: dict[int, str]                             # segment -> what is wrong with it (its first problem)
    problem: str = ""                                   # what is wrong with the dataset's row

    def refuse_damage(self) -> "Layout":
        """Itself when nothing is damaged, else ``Damaged`` for its first damaged segment (or its row)."""
        if self.damaged:
            segment = min(self.damaged)
            raise Damaged(self.name, segment, self.damaged[segment])
        if self.problem:
            raise Damaged(self.name, None, self.problem)
        return self


def layout(con: sqlite3.Connection, name: str) -> Layout:
    """The dataset's ``Layout``: every segment has a row count, its three BLOBs in whole parts
    and sums, each BLOB as long as written, its hashes 8 B an event; the counts add up."""
    row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
    sizes = dict(con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = ?", (name,)).fetchall())
    parts: dict[int, dict[str, list[int]]] = {}
    lengths: dict[int, dict[str, int]] = {}
    for segment, blob, part, length in con.execute("SELECT segment, name, part, length(data) FROM segments "
                                                   "WHERE dataset = ? ORDER BY segment, name, part", (name,)):
        parts.setdefault(segment, {}).setdefault(blob, []).append(part)
        lengths.setdefault(segment, {})[blob] = lengths.get(segment, {}).get(blob, 0) + length
    written = {segment: sums_of(b"".join(data for _, data in rows)) for segment, rows in _grouped(
        con.execute("SELECT segment, data FROM segments WHERE dataset = ? AND name = ? ORDER BY segment, part",
                    (name, SUMS)))}
    damaged = {segment: problem for segment in sorted(set(sizes) | set(parts)) if (problem := _problem(
        sizes.get(segment), parts.get(segment, {}), lengths.get(segment, {}), written.get(segment)))}
    said = None if row is None else row[0]
    problem = "its segments belong to no dataset" if said is None else count_problem(said, sum(sizes.values()))
    return Layout(name, said, sizes, {s: v for s, v in written.items() if v is not None}, damaged, problem)


def count_problem(said: int, held: int) -> str:
    """What is wrong when a dataset's row says ``said`` events and its segments hold ``held`` ("" when they agree)."""
    return f"the dataset says {said:,} events, its segments hold {held:,}" if said != held else ""


def _problem(size: int | None, parts: dict[str, list[int]], lengths: dict[str, int],
             written: dict[str, tuple[int, int]] | None) -> str:
    """What is wrong with a segment, as the cheap queries see it ("" when nothing): its row count
    (``size``), its BLOBs' ``parts`` and ``lengths``, the sums ``written`` with them."""
    if size is None:
        return "it has no row count"
    for blob in (*BLOBS, SUMS):
        if blob not in parts:
            return f"its {blob} BLOB is missing"
        if parts[blob] != list(range(len(parts[blob]))):
            return f"part {min(set(range(len(parts[blob]))) - set(parts[blob]))} of its {blob} BLOB is missing"
    if written is None:
        return "its sums BLOB cannot be read"
    for blob, (length, _) in written.items():
        if lengths[blob] != length:
            return f"its {blob} BLOB holds {lengths[blob]:,} bytes, {length:,} were written"
    if written[HASHES][0] != 8 * size:
        return f"its row count ({size:,}) disagrees with its row hashes ({written[HASHES][0] // 8:,})"
    return ""


def _grouped(rows) -> list[tuple]:
    """(key, its rows) of rows ordered by their first value, the key (a segment, a BLOB's name)."""
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return sorted(out.items())


def changed(at: Layout, segment: int, blob: str, data: bytes, crc: int | None = None) -> str:
    """What is wrong when ``data``, a segment's BLOB (or the BLOB whose CRC-32 is ``crc``), is not
    the one written (its CRC-32 differs from its sums), else ""."""
    crc = zlib.crc32(data) if crc is None else crc
    return "" if crc == at.sums[segment][blob][1] else f"its {blob} BLOB is not what was written (its checksum differs)"


def _blobs(con: sqlite3.Connection, at: Layout, blob: str) -> list[tuple[int, bytes]]:
    """(segment, one of its BLOBs: ``EVENTS``, ``HASHES`` or ``PAIRS``) of each of the dataset's
    segments, in segment order, each the BLOB written (its CRC-32 as in its sums), else ``Damaged``."""
    out = []
    for segment, rows in _grouped(con.execute("SELECT segment, data FROM segments WHERE dataset = ? AND name = ? "
                                              "ORDER BY segment, part", (at.name, blob))):
        data = rows[0][1] if len(rows) == 1 else b"".join(data for _, data in rows)
        problem = changed(at, segment, blob, data)
        if problem:
            raise Damaged(at.name, segment, problem)
        out.append((segment, data))
    return out


def check_events(con: sqlite3.Connection, at: Layout) -> None:
    """``Damaged`` when a segment's events BLOB is not the one written (its CRC-32, part by part,
    nothing decoded): a write refuses a dataset whose events could not be read back."""
    crc: dict[int, int] = {}
    for segment, data in con.execute("SELECT segment, data FROM segments WHERE dataset = ? AND name = ? "
                                     "ORDER BY segment, part", (at.name, EVENTS)):
        crc[segment] = zlib.crc32(data, crc.get(segment, 0))
    for segment, value in crc.items():
        problem = changed(at, segment, EVENTS, b"", value)
        if problem:
            raise Damaged(at.name, segment, problem)


def opened(con: sqlite3.Connection, name: str) -> Layout:
    """The stored dataset ``name``'s ``Layout`` for a write, else ``Damaged`` (its layout, its
    events' checksums): a write refuses a dataset whose events could not be read back."""
    at = layout(con, name).refuse_damage()
    check_events(con, at)
    return at


def add(con: sqlite3.Connection, name: str, row: tuple, columns: dict, hashed: np.ndarray, progress=None) -> None:
    """Add new events (``codec.to_columns``' arrays, ``hashed`` their row hashes, none stored yet)
    to the stored dataset ``name`` whose row is ``row`` (events, first_ns, last_ns, segments), in
    the caller's write transaction: one new segment, or past ``MAX_SEGMENTS`` the dataset compacted
    into one; its row and generation updated."""
    if row[3] + 1 > MAX_SEGMENTS:
        replace_all(con, name, joined([read_columns(con, name), columns]), progress, keep_sync=True)
        return
    next_segment = con.execute("SELECT COALESCE(MAX(segment), -1) FROM segment_sizes WHERE dataset = ?",
                               (name,)).fetchone()[0] + 1
    write_segment(con, name, columns, next_segment, progress, hashed)
    t = columns["ts"]
    first = int(t.min()) if row[1] is None else min(row[1], int(t.min()))
    last = int(t.max()) if row[2] is None else max(row[2], int(t.max()))
    con.execute("UPDATE datasets SET events = ?, first_ns = ?, last_ns = ?, segments = segments + 1 "
                "WHERE name = ?", (row[0] + len(t), first, last, name))
    con.execute(BUMP_GENERATION, (name,))


def segment_events(at: Layout, segment: int, data: bytes) -> dict:
    """A segment's events BLOB as ``codec.to_columns``' arrays, holding as many events as its row
    count, else ``Damaged``."""
    try:
        columns = events_columns(data)
    except UNREADABLE as e:
        raise Damaged(at.name, segment, unreadable("events", e)) from None
    if len(columns["ts"]) != at.sizes[segment]:
        raise Damaged(at.name, segment, f"it holds {len(columns['ts']):,} events, its row count says {at.sizes[segment]:,}")
    return columns


def read_columns(con: sqlite3.Connection, name: str) -> dict | None:
    """The dataset's events as one ``codec.to_columns`` dict (None when there is no such dataset;
    ``Damaged`` when a segment is)."""
    at = layout(con, name)
    if at.said is None:
        return None
    at.refuse_damage()
    segments = [segment_events(at, segment, data) for segment, data in _blobs(con, at, EVENTS)]
    return joined(segments) if segments else columns_of(empty_frame())


def read(con: sqlite3.Connection, name: str) -> pd.DataFrame | None:
    """The dataset's events as the event frame (None when there is no such dataset)."""
    columns = read_columns(con, name)
    if columns is None:
        return None
    return to_frame(columns) if len(columns["ts"]) else empty_frame()


def stored_already(con: sqlite3.Connection, at: Layout, new_hashes: np.ndarray) -> np.ndarray:
    """Whether each of ``new_hashes`` (``codec.row_hashes``) is the hash of a stored event of the
    dataset (``at``: its undamaged layout): a binary search in each segment's sorted hashes, without
    reading the stored events; ``Damaged`` when a segment's hashes are not sorted."""
    found = np.zeros(len(new_hashes), dtype=bool)
    for segment, data in _blobs(con, at, HASHES):
        stored = hashes(data)
        if len(stored) > 1 and (stored[1:] < stored[:-1]).any():
            raise Damaged(at.name, segment, "its row hashes are out of order")
        if len(stored):
            where = np.minimum(np.searchsorted(stored, new_hashes), len(stored) - 1)
            found |= stored[where] == new_hashes
    return found


def stored_pairs(con: sqlite3.Connection, at: Layout, ids: list[str]) -> dict[tuple[str, str], int]:
    """(kind, id) -> time (ns) of the stored pairing events whose id is one of ``ids`` (the first
    stored of each, as merging kept it), of the dataset (``at``: its undamaged layout)."""
    found: dict[tuple[str, str], int] = {}
    for segment, data in _blobs(con, at, PAIRS):
        try:
            events = pairing_events(data, ids)
        except UNREADABLE as e:
            raise Damaged(at.name, segment, unreadable("pairing events", e)) from None
        for kind, ident, t in events:
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
