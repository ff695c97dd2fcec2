"""Copying one store into another (``python -m metrics db copy``): the SQLite file into a
PostgreSQL database and back, or between two PostgreSQL databases. Everything is copied: every
dataset's events, each dataset's sync state and last runs, its webhook deliveries and annotations, each
alert's state (``alert_states``), the audit trail
(each entry with its own time, who and details), the sign-in sessions (only the SHA-256 of each
id is kept, so a copy signs no one in by itself; with the same secret key, users stay signed in
after a move) and the users and API tokens (the JSON files on SQLite, ``documents`` on PostgreSQL).

The target must hold no dataset, no alert state, and no users or API tokens where the source has them: a copy
never merges two stores. Counts are checked before the last transaction commits (events per
dataset, sync states, last runs, deliveries, annotations, alert states, audit entries, sessions, users and tokens); any
difference is an error naming it. Each dataset's events are written through the store's public
``append`` (one transaction each), then everything else in one transaction; when anything fails,
the datasets already written are deleted again, so the target is left as it was (but for the audit
entries of those writes and deletes)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import database
from .audit import local_user
from .connection import reading, where, writing
from .datasets import append, delete, list_datasets, load
from .errors import StoreError
from .trail import record

# the tables copied row by row: their columns (the same on both backends; "user" is quoted: a
# reserved word in PostgreSQL) and their order (the audit trail's: its time, then the order written)
TABLES = {
    "sync_state": (("dataset", "source", "state"), "dataset, source"),
    "sync_runs": (("dataset", "source", "run"), "dataset, source"),
    "deliveries": (("dataset", "source", "delivery", "at_ns"), "dataset, source, delivery"),
    # each annotation gets a new id in the target (its order kept: by dataset, then as written)
    "annotations": (("dataset", "at_ns", "service", "text", "author", "created_ns"), "dataset, {rowid}"),
    "audit": (("at_ns", "who", "action", "dataset", "events", "detail"), "at_ns, {rowid}"),
    "sessions": (("id", '"user"', "started_ns"), "id"),
    "alert_states": (("alert", "body", "updated_ns"), "alert"),
}
PER_DATASET = ("sync_state", "sync_runs", "deliveries", "annotations")         # a dataset's rows (its name first)
ACTION = "copy"                         # the audit trail's action of the copy's writes


@dataclass(frozen=True)
class Copied:
    """What ``copy`` did: the two stores in words and the counts checked."""
    source: str
    target: str
    counts: list


@dataclass(frozen=True)
class Count:
    """One line of the copy's check: what was counted, in the source and in the target."""
    what: str
    source: int
    target: int


def same_store(a: "database.Database | str", b: "database.Database | str") -> bool:
    """Whether two stores (a ``Database`` or ``database.SQLITE``) are the same one."""
    if a == database.SQLITE or b == database.SQLITE:
        return a == b
    return (a.host.lower(), a.port, a.name) == (b.host.lower(), b.port, b.name)


def _in_words(store: "database.Database | str") -> str:
    with database.use(store):
        return where()


def _documents(con, paths: dict) -> dict:
    """The users and API tokens documents of the store ``con`` is connected to: name -> JSON text
    (a name missing: the store has none)."""
    if con.dialect == "postgresql":
        rows = dict(con.execute("SELECT name, body FROM documents ORDER BY name").fetchall())
        unknown = sorted(set(rows) - set(paths))
        if unknown:                     # never dropped without a word
            raise StoreError(f"{where()} holds documents this version cannot copy ({', '.join(unknown)}; "
                             f"it copies {', '.join(paths)}): copy with the version that wrote them")
        return rows
    found = {}
    for name, path in paths.items():
        path = Path(path)
        if path.exists():
            try:
                found[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise StoreError(f"cannot read {path} ({getattr(e, 'strerror', None) or e}); fix or remove it") from None
    return found


def _parsed(name: str, body: str, store: str):
    try:
        return json.loads(body)
    except ValueError:
        raise StoreError(f"the {name} document of {store} is not JSON; fix it before copying") from None


def _rows(con, table: str) -> list[tuple]:
    columns, order = TABLES[table]
    order = order.format(rowid="id" if con.dialect == "postgresql" else "rowid")
    return [tuple(r) for r in con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()]


def _refuse_filled(con, paths: dict, documents: dict, target: str) -> None:
    """Refuse a target that holds datasets, or users or tokens where the source has them."""
    names = [r[0] for r in con.execute("SELECT name FROM datasets ORDER BY name").fetchall()]
    held = [f"datasets ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"] if names else []
    if not names and con.execute("SELECT COUNT(*) FROM alert_states").fetchone()[0]:
        held.append("alert states")             # (a store with datasets is refused for those first)
    held += [f"its own {name}" for name in _documents(con, paths) if name in documents]
    if held:
        raise StoreError(f"{target} already holds {' and '.join(held)}: a copy goes into a store without them "
                         f"(use a new database or data directory, or delete them first)")


def _write_documents(con, paths: dict, documents: dict) -> list[Path]:
    """Store the documents in the target (``con``'s store); the files written (SQLite)."""
    if con.dialect == "postgresql":
        con.executemany("INSERT INTO documents (name, body, updated_ns) VALUES (?, ?, ?)",
                        [(name, body, time.time_ns()) for name, body in documents.items()])
        return []
    from ..settings_files import write_private_json
    written = []
    for name, body in documents.items():
        path = Path(paths[name])
        write_private_json(path, json.loads(body), f"the {name} file", StoreError)
        written.append(path)
    return written


def copy(source: "database.Database | str", target: "database.Database | str", documents: dict,
         who: str | None = None) -> Copied:
    """Copy everything in ``source`` into ``target`` (each a ``Database`` or ``database.SQLITE``),
    ``documents`` naming the users and API tokens documents (name -> the file that holds it on
    SQLite); the stores in words and the counts checked (``Count``: source beside target). A
    StoreError (one sentence) when the two are the same store, the target holds datasets (or users
    or tokens where the source has them), a database cannot be reached, or a count differs; then
    nothing of the copy is kept."""
    source_words, target_words = _in_words(source), _in_words(target)
    if same_store(source, target):
        raise StoreError(f"the source and the target are the same store ({source_words}): copy into another one")
    who = who or local_user()
    with database.use(source), reading() as con:
        listing = [(info.name, info.events) for info in list_datasets()]
        rows = {table: _rows(con, table) for table in TABLES}
        held = _documents(con, documents)
    for name, body in held.items():
        _parsed(name, body, source_words)
    with database.use(target), reading() as con:
        _refuse_filled(con, documents, held, target_words)
    written: list[str] = []
    files: list[Path] = []
    try:
        for name, events in listing:
            with database.use(source):
                frame = load(name)
            if len(frame) != events:
                raise StoreError(f"dataset {name!r} of {source_words} changed during the copy ({events:,} events, "
                                 f"then {len(frame):,}): stop what writes to it and copy again")
            with database.use(target):
                append(name, frame, who=who, action=ACTION, detail=f"from {source_words}")   # a new dataset
            written.append(name)
            del frame
        with database.use(target), writing() as con:
            audit_before = con.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
            sessions_before = con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            alerts_before = con.execute("SELECT COUNT(*) FROM alert_states").fetchone()[0]
            # the datasets these rows are of (webhook deliveries stay after their dataset is deleted); in
            # the target, what a deleted dataset of the same name left behind gives way to the source's
            names = sorted({name for name, _ in listing} | {r[0] for table in PER_DATASET for r in rows[table]})
            for table in PER_DATASET:
                con.executemany(f"DELETE FROM {table} WHERE dataset = ?", [(name,) for name in names])
            for table, (columns, _) in TABLES.items():
                if rows[table]:
                    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                    f"({', '.join('?' * len(columns))})", rows[table])
            files = _write_documents(con, documents, held)
            total = sum(events for _, events in listing)
            record(con, who, ACTION, "", total, f"{len(listing)} datasets, {len(rows['audit'])} audit entries "
                                                f"from {source_words}")
            counts = _counts(con, listing, names, rows, held, documents, audit_before, sessions_before, alerts_before)
            differ = [c for c in counts if c.source != c.target]
            if differ:
                raise StoreError(f"the copy into {target_words} does not match {source_words} ("
                                 + "; ".join(f"{c.what}: {c.source} in the source, {c.target} in the target" for c in differ)
                                 + "): nothing was kept")
    except BaseException as e:
        _undo(target, written, files, target_words, e, who)
        raise
    return Copied(source_words, target_words, counts)


def _counts(con, listing, names, rows, held, paths, audit_before: int, sessions_before: int,
            alerts_before: int) -> list[Count]:
    """Source beside target, counted in the target inside the copy's last transaction (``con``)."""
    stored = dict(con.execute("SELECT name, events FROM datasets").fetchall())
    counts = [Count(f"dataset {name}: events", events, stored.get(name, 0)) for name, events in listing]
    for table in PER_DATASET:
        target = sum(con.execute(f"SELECT COUNT(*) FROM {table} WHERE dataset = ?", (name,)).fetchone()[0]
                     for name in names)
        counts.append(Count(table.replace("_", " "), len(rows[table]), target))
    audit_after = con.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    # the source's entries: what was added since ``audit_before`` (the target's own entries and those of the
    # copy's writes of events, one a dataset) but the copy's own entry
    counts.append(Count("audit entries", len(rows["audit"]), audit_after - audit_before - 1))
    sessions_after = con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    counts.append(Count("sign-in sessions", len(rows["sessions"]), sessions_after - sessions_before))
    alerts_after = con.execute("SELECT COUNT(*) FROM alert_states").fetchone()[0]
    counts.append(Count("alert states", len(rows["alert_states"]), alerts_after - alerts_before))
    copied = _documents(con, paths)
    for name, body in held.items():
        mine = _parsed(name, body, "the source")
        there = _parsed(name, copied[name], "the target") if name in copied else None
        counts.append(Count(f"{name} entries", _size(mine), _size(there)))
        if there != mine:
            counts.append(Count(f"{name} identical", 1, 0))
    return counts


def _size(document) -> int:
    return len(document) if isinstance(document, (dict, list)) else int(document is not None)


def _undo(target, written: list[str], files: list[Path], target_words: str, error: BaseException, who: str) -> None:
    """Delete what the failed copy wrote into the target (its datasets, its files); a StoreError
    naming what stayed when that fails too."""
    left = []
    for path in files:
        try:
            path.unlink()
        except OSError:
            left.append(str(path))
    with database.use(target):
        for name in written:
            try:
                delete(name, who=who)
            except StoreError:
                left.append(f"dataset {name}")
    if left:
        raise StoreError(f"{error}; and what the copy had already written into {target_words} could not be "
                         f"removed ({', '.join(left)}): delete it before copying again") from None
