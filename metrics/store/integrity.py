"""Checking every segment of every dataset (``check``) and repairing what is damaged (``repair``):
each BLOB read and decoded, the row counts compared, the row hashes and pairing events computed
again from the events and compared with those stored, the sums compared with the BLOBs."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from . import audit
from .codec import row_hashes
from .columnar import UNREADABLE, events_columns, hashes, pairs_bytes, pairs_table, unreadable
from .connection import reading, writing
from .keeper import events_keeper
from .segments import BLOBS, BUMP_GENERATION, EVENTS, HASHES, PAIRS, changed, count_problem, layout, segment_blobs, write_sums


@dataclass(frozen=True)
class SegmentDamage:
    """A damaged segment: its number, the events it holds (as read, else its row count), what is
    wrong; ``sums_only``: its events, row hashes and pairing events agree, only its sums do not
    (a repair writes them again, losing nothing)."""
    segment: int
    events: int
    problem: str
    sums_only: bool = False


@dataclass
class DatasetCheck:
    """What ``check`` found in one dataset: the events its row says (None: its segments belong to
    no dataset), its segments, the events and time span of the undamaged ones, what is damaged."""
    name: str
    said: int | None
    segments: int
    kept: int = 0                                       # events of the undamaged segments
    first: int | None = None                            # their first and last event time (ns)
    last: int | None = None
    damaged: list[SegmentDamage] = field(default_factory=list)
    problem: str = ""                                   # what is wrong with the dataset's row

    @property
    def ok(self) -> bool:
        """Whether nothing in the dataset is damaged."""
        return not self.damaged and not self.problem

    @property
    def lost(self) -> int:
        """The events of the segments a repair drops."""
        return sum(d.events for d in self.damaged if not d.sums_only)

    def lines(self) -> list[str]:
        """What was found, a line per damaged segment (or "ok")."""
        if self.ok:
            kept = f"{self.segments} segment{'' if self.segments == 1 else 's'}, " if self.segments else ""
            return [f"{self.name}: ok ({kept}{self.kept:,} events)"]
        return [f"{self.name}: damaged: segment {d.segment} ({d.events:,} events): {d.problem}" for d in self.damaged] + \
            ([f"{self.name}: damaged: {self.problem}"] if self.problem else [])

    def repaired_lines(self) -> list[str]:
        """What ``repair`` did, a line per segment dropped or whose sums were written again, then the count."""
        if self.ok:
            return self.lines()
        if self.said is None and not self.segments:             # PostgreSQL: events of no dataset
            return [f"{self.name}: deleted {self.kept:,} events of no dataset"]
        if self.said is None:
            return [f"{self.name}: dropped {self.segments} segment{'' if self.segments == 1 else 's'} of no dataset "
                    f"({self.kept + self.lost:,} events)"]
        lines = [f"{self.name}: wrote segment {d.segment}'s sums again ({d.problem}): nothing lost" if d.sums_only else
                 f"{self.name}: dropped segment {d.segment}: {d.events:,} events lost" for d in self.damaged]
        return lines + [f"{self.name}: repaired: {self.kept:,} events kept (was {self.said:,})"]


def _segment(whole: dict[str, bytes], size: int) -> tuple[str, int, np.ndarray | None]:
    """(what is wrong with a segment's three BLOBs (``segments.segment_blobs``), "" when nothing;
    the events it holds; their times) from its BLOBs alone: its events read, as many as its row count
    (``size``), its row hashes and pairing events those of its events."""
    try:
        columns = events_columns(whole[EVENTS])
    except UNREADABLE as e:
        return unreadable("events", e), size, None
    held = len(columns["ts"])
    if held != size:
        return f"it holds {held:,} events, its row count says {size:,}", held, None
    if len(whole[HASHES]) % 8 or not np.array_equal(hashes(whole[HASHES]), np.sort(row_hashes(columns))):
        return "its row hashes are not those of its events", held, None
    try:
        stored, wanted = (pairs_table(data) for data in (whole[PAIRS], pairs_bytes(columns)))
        same = stored.set_column(0, "kind", stored.column("kind").cast(pa.string())).equals(
            wanted.set_column(0, "kind", wanted.column("kind").cast(pa.string())))
    except UNREADABLE as e:
        return unreadable("pairing events", e), held, None
    if not same:
        return "its pairing events are not those of its events", held, None
    return "", held, columns["ts"]


def _check(con: sqlite3.Connection, name: str) -> DatasetCheck:
    """Every segment of dataset ``name`` checked (inside the caller's transaction)."""
    at = layout(con, name)
    found = DatasetCheck(name, at.said, len(set(at.sizes) | set(at.damaged)))
    times = []
    for segment in sorted(set(at.sizes) | set(at.damaged)):
        blobs = segment_blobs(con, name, segment)
        if segment not in at.sizes or not all(b in blobs for b in BLOBS):        # (``layout`` said so)
            found.damaged.append(SegmentDamage(segment, at.sizes.get(segment, 0), at.damaged[segment]))
            continue
        problem, held, ts = _segment(blobs, at.sizes[segment])
        if problem:
            found.damaged.append(SegmentDamage(segment, held, problem))
            continue
        sums = at.damaged.get(segment) or next(filter(None, (changed(at, segment, b, blobs[b]) for b in BLOBS)), "")
        if sums:
            found.damaged.append(SegmentDamage(segment, held, sums, sums_only=True))
        found.kept += held
        if len(ts):
            times.append((int(ts.min()), int(ts.max())))
    found.first, found.last = (min(t[0] for t in times), max(t[1] for t in times)) if times else (None, None)
    held = found.kept + found.lost
    if at.said is None:
        found.problem = at.problem
    elif miscount := count_problem(at.said, held):
        found.problem = miscount
    elif not found.damaged and con.execute("SELECT first_ns, last_ns FROM datasets WHERE name = ?", (name,)).fetchone() \
            != (found.first, found.last):
        found.problem = "its first and last event times are not those of its events"
    return found


def _names(con: sqlite3.Connection) -> list[str]:
    """Every dataset, and every name that segments are kept under."""
    return [r[0] for r in con.execute("SELECT name FROM datasets UNION SELECT dataset FROM segment_sizes "
                                      "UNION SELECT dataset FROM segments ORDER BY 1")]


def check() -> list[DatasetCheck]:
    """Every segment of every dataset checked, in one read: each BLOB read, its events as many as
    its row count, its row hashes and pairing events those of its events, its sums those of its BLOBs.
    (PostgreSQL: each dataset's count and time span against its events, ``postgres.events.check_all``.)"""
    with reading() as con:
        if con.dialect == "postgresql":
            return events_keeper(con).check_all(con)
        con.execute("BEGIN")
        try:
            return [_check(con, name) for name in _names(con)]
        finally:
            con.execute("ROLLBACK")


def repair(who: str | None = None) -> list[DatasetCheck]:
    """``check``, then, in one transaction, every damaged segment dropped (or its sums written
    again, when only they differ), each dataset's count, first and last event and segments set to
    what is kept, its generation bumped and the repair recorded in the audit trail as ``who``.
    (PostgreSQL: each dataset's row counted again from its events, ``postgres.events.repair_all``.)"""
    with writing() as con:
        if con.dialect == "postgresql":
            return events_keeper(con).repair_all(
                con, lambda con, name, events, detail: audit.record(con, who, "repair", name, events, detail))
        found = [_check(con, name) for name in _names(con)]
        for dataset in found:
            if dataset.ok:
                continue
            if dataset.said is None:
                for table in ("segments", "segment_sizes"):
                    con.execute(f"DELETE FROM {table} WHERE dataset = ?", (dataset.name,))
                audit.record(con, who, "repair", dataset.name, -dataset.kept - dataset.lost, dataset.repaired_lines()[0])
                continue
            for d in dataset.damaged:
                if d.sums_only:
                    write_sums(con, dataset.name, d.segment)
                else:
                    for table in ("segments", "segment_sizes"):
                        con.execute(f"DELETE FROM {table} WHERE dataset = ? AND segment = ?", (dataset.name, d.segment))
            con.execute("UPDATE datasets SET events = ?, first_ns = ?, last_ns = ?, segments = "
                        "(SELECT COUNT(*) FROM segment_sizes WHERE dataset = ?) WHERE name = ?",
                        (dataset.kept, dataset.first, dataset.last, dataset.name, dataset.name))
            con.execute(BUMP_GENERATION, (dataset.name,))
            done = [f"{'sums written again of' if d.sums_only else 'dropped'} segment {d.segment} ({d.events} events): "
                    f"{d.problem}" for d in dataset.damaged] + ([dataset.problem] if dataset.problem else [])
            audit.record(con, who, "repair", dataset.name, dataset.kept - dataset.said, "; ".join(done))
    return found


__all__ = ["DatasetCheck", "SegmentDamage", "check", "repair"]
