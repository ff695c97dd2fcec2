"""The audit trail: every write, with who did it, when, to which dataset and how many events."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .connection import reading, writing
from .errors import check_name
from .trail import local_user, record

__all__ = ["AuditEntry", "audit_log", "local_user", "record", "record_audit"]

# the order entries were written in, among those of one nanosecond: SQLite's rowid, PostgreSQL's id
ORDER = {"sqlite": "rowid", "postgresql": "id"}


@dataclass(frozen=True)
class AuditEntry:
    """One write in the audit trail (``events`` is how many it added; a delete counts those it removed)."""
    at: pd.Timestamp
    who: str
    action: str
    dataset: str
    events: int
    detail: str


def record_audit(action: str, detail: str = "", who: str | None = None) -> None:
    """Add an entry to the audit trail that changes no dataset (a user added, a role changed)."""
    with writing() as con:
        record(con, who, action, "", 0, detail)


def audit_log(limit: int = 100, dataset: str | None = None) -> list[AuditEntry]:
    """The latest ``limit`` writes (newest first), of every dataset or of ``dataset``."""
    query = "SELECT at_ns, who, action, dataset, events, detail FROM audit"
    params: tuple = ()
    if dataset is not None:
        check_name(dataset)
        query, params = query + " WHERE dataset = ?", (dataset,)
    with reading() as con:
        order = ORDER[con.dialect]
        rows = con.execute(query + f" ORDER BY at_ns DESC, {order} DESC LIMIT ?", (*params, int(limit))).fetchall()
    return [AuditEntry(pd.Timestamp(at, unit="ns", tz="UTC"), who, action, name, events, detail)
            for at, who, action, name, events, detail in rows]
