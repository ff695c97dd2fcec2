"""Writing one entry of the audit trail inside the caller's transaction (``audit`` reads the trail;
the migrations, below the connection, write to it too). The columns are named: PostgreSQL's table
has an ``id`` of its own first (SQLite's has its ``rowid``)."""
from __future__ import annotations

import getpass
import sqlite3
import time


def local_user() -> str:
    """Who a write from this machine's command line is: ``cli:`` and the operating-system user."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def record(con: sqlite3.Connection, who: str | None, action: str, name: str, events: int, detail: str = "") -> None:
    """Add an entry inside the caller's write transaction, so the entry and the write are both kept or neither."""
    con.execute("INSERT INTO audit (at_ns, who, action, dataset, events, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (time.time_ns(), (who or local_user())[:200], action, name, int(events), detail[:500]))
