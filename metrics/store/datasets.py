"""The dataset operations: add events (``append``, ``save``), read them (``load``, ``load_tables``),
a version token for caches, list and delete datasets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..ingest import LoadReport
from ..tables import EventTables, tables_from_codes
from . import audit, merge
from .codec import TEXT_COLUMNS
from .connection import data_dir, reading, where, writing
from .errors import check_name, no_dataset
from .keeper import events_keeper
from .segments import BUMP_GENERATION

if TYPE_CHECKING:
    from ..ingest.coded import CodedEvents


@dataclass
class DatasetInfo:
    """A stored dataset: its name, how many events it holds and the time of its first and last."""
    name: str
    events: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def append(name: str, frame: "pd.DataFrame | CodedEvents", *, replace: bool = False, progress=None, who: str | None = None,
           action: str = "import", detail: str = "") -> tuple[int, int, LoadReport]:
    """Add validated events (the event frame, or ``ingest.coded.CodedEvents``, kept in their codes)
    to a dataset (creating it), in one transaction; with ``replace``, the dataset's events are
    replaced by these.

    Exact duplicates of stored events (and within ``frame``) are dropped and counted; events that
    conflict with stored ones are reported and not stored (stored events always win). Costs in
    proportion to ``frame`` plus reading the stored row hashes (8 B an event) and pairing events,
    never the stored events themselves. The audit trail records ``who`` (default: this
    machine's user, for the command line), ``action`` and the events added, in the same transaction.
    Returns (events stored, events added, report of the merge).
    """
    incoming = merge.prepare(name, frame)
    with writing() as con:
        return merge.write(con, name, incoming, replace=replace, progress=progress, who=who, action=action,
                           detail=detail)


def save(name: str, frame: "pd.DataFrame | CodedEvents", replace: bool = False, progress=None, who: str | None = None,
         action: str = "import", detail: str = "") -> tuple[int, int, LoadReport]:
    """``append`` (the command line's and the upload's name for it)."""
    return append(name, frame, replace=replace, progress=progress, who=who, action=action, detail=detail)


def load(name: str) -> pd.DataFrame:
    """The events of a stored dataset, as the validated event frame (``ingest.normalize``'s form),
    as a set: SQLite gives them in the order they were added, PostgreSQL in its table's order."""
    check_name(name)
    with reading() as con:
        frame = events_keeper(con).read(con, name)
    if frame is None:
        raise no_dataset(name)
    return frame


def load_tables(name: str) -> EventTables:
    """The events of a stored dataset as per-kind tables: ``tables_from_frame(load(name))``, built
    from the stored codes without turning them into strings."""
    check_name(name)
    with reading() as con:
        columns = events_keeper(con).read_columns(con, name)
    if columns is None:
        raise no_dataset(name)
    return tables_of(columns)


def tables_of(columns: dict) -> EventTables:
    """Events in ``codec.to_columns``' form as per-kind tables, built from their codes."""
    return tables_from_codes(columns["ts"], columns["metric_value"], {c: columns[c] for c in TEXT_COLUMNS})


def version(name: str) -> tuple:
    """A cheap token that changes whenever the dataset's events change (caches key on it): where
    the store is (the data directory; on PostgreSQL the database, the same on every host), the
    event count and the dataset's write generation."""
    check_name(name)
    with reading() as con:
        row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
        generation = con.execute("SELECT generation FROM generations WHERE dataset = ?", (name,)).fetchone()
        store = where() if con.dialect == "postgresql" else str(data_dir().resolve())
    if row is None:
        raise no_dataset(name)
    return store, row[0], generation[0] if generation else 0


def list_datasets() -> list[DatasetInfo]:
    """Every stored dataset with its event count and time span."""
    with reading() as con:
        rows = con.execute("SELECT name, events, first_ns, last_ns FROM datasets ORDER BY name").fetchall()
    return [DatasetInfo(n, c, pd.Timestamp(lo, tz="UTC") if lo is not None else None,
                        pd.Timestamp(hi, tz="UTC") if hi is not None else None) for n, c, lo, hi in rows]


def delete(name: str, who: str | None = None) -> int:
    """Delete a dataset (recorded in the audit trail as ``who``); returns how many events it held."""
    check_name(name)
    with writing() as con:
        row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise no_dataset(name)
        events_keeper(con).clear(con, name)
        con.execute(BUMP_GENERATION, (name,))
        audit.record(con, who, "delete", name, row[0])
    return row[0]
