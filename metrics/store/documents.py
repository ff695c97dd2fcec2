"""The private JSON documents (the users file's and the API tokens file's contents) in the
PostgreSQL database (table ``documents``: name, body, updated_ns), so every host sees the same
users and tokens. On SQLite they stay in their files (``metrics.private_store`` chooses); these
calls are for a PostgreSQL store."""
from __future__ import annotations

import time
from typing import Callable

from .connection import reading, writing


def read_document(name: str) -> tuple[str | None, int]:
    """(body, updated_ns) of the document ``name``; (None, 0) when there is none."""
    with reading() as con:
        row = con.execute("SELECT body, updated_ns FROM documents WHERE name = ?", (name,)).fetchone()
    return (row[0], row[1]) if row else (None, 0)


def document_version(name: str) -> int:
    """When the document ``name`` last changed (ns; 0 when there is none): caches key on it."""
    with reading() as con:
        row = con.execute("SELECT updated_ns FROM documents WHERE name = ?", (name,)).fetchone()
    return row[0] if row else 0


def edit_document(name: str, change: Callable[[str | None], str]) -> None:
    """Replace the document ``name`` by ``change(its body or None)`` in one write transaction
    (every host's writes wait for it: two edits never lose one another); nothing is kept when
    ``change`` raises. Its ``updated_ns`` grows with every edit."""
    with writing() as con:
        row = con.execute("SELECT body, updated_ns FROM documents WHERE name = ?", (name,)).fetchone()
        body = change(row[0] if row else None)
        updated = max(time.time_ns(), (row[1] if row else 0) + 1)
        con.execute("INSERT INTO documents VALUES (?, ?, ?) ON CONFLICT (name) "
                    "DO UPDATE SET body = excluded.body, updated_ns = excluded.updated_ns", (name, body, updated))
