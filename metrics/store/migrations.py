"""The SQLite file's set-up and versioning: its tables, the marks that say it is this product's
(``application_id``, ``user_version``), the move of the two earlier layouts to segments, and the
dated migrations of stored events (``QUALIFIED_IDS``)."""
from __future__ import annotations

import os
import sqlite3
import sys
import time
from contextlib import closing
from itertools import chain, count
from pathlib import Path

import numpy as np
import pandas as pd

from .. import defaults, schema as s
from ..ingest import check_pairs, qualify_ids
from . import schema_version, trail
from .codec import checked, columns_of, decode, empty_frame, joined, to_columns
from .columnar import events_columns
from .errors import Refused, StoreError
from .segments import SUMS, read, replace_all, write_sums

APPLICATION_ID = 0x4D545243             # "MTRC": marks the file as this product's
# 2026-12-07 (issue 22): PR and deployment ids qualified with their service (``ingest.ids``); a file
# of an earlier format is copied to ``BACKUP_SUFFIX`` beside it and its stored ids qualified, once
QUALIFIED_IDS = 4
# 2026-12-07 (issue 24): each segment's events one Arrow IPC file (zstd) with its sorted row hashes
# beside it (``columnar``), in place of a BLOB per column and the two per-row indexes (tables
# ``event_hashes`` and ``pair_events``, dropped); a file of an earlier format is copied to
# ``ARROW_BACKUP_SUFFIX`` beside it (or ``BACKUP_SUFFIX``, before format 4) first
ARROW_SEGMENTS = 5
# 2026-12-07 (issue 26): each segment keeps a fourth BLOB, the length and CRC-32 of its three
# (``segments.SUMS``), so damage inside the file is found; the segments of a file of an earlier
# format get theirs, as their BLOBs are, once (nothing else changes: no copy is kept)
SEGMENT_SUMS = 6
FORMAT = SEGMENT_SUMS                   # PRAGMA user_version of this layout
BACKUP_SUFFIX = ".before-qualified-ids"
ARROW_BACKUP_SUFFIX = ".before-arrow-segments"
LOCK_WAIT_SECONDS = defaults.STORE_LOCK_WAIT_S     # how long a connection waits for another writer
MIGRATION_WHO = "migration"
TABLES = (
    "CREATE TABLE IF NOT EXISTS datasets (name TEXT PRIMARY KEY, events INTEGER NOT NULL, first_ns INTEGER, "
    "last_ns INTEGER, segments INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS segments (dataset TEXT NOT NULL, segment INTEGER NOT NULL, name TEXT NOT NULL, "
    "part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (dataset, segment, name, part))",
    "CREATE TABLE IF NOT EXISTS segment_sizes (dataset TEXT NOT NULL, segment INTEGER NOT NULL, events INTEGER NOT NULL, "
    "PRIMARY KEY (dataset, segment))",
    "CREATE TABLE IF NOT EXISTS generations (dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_state (dataset TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    "CREATE TABLE IF NOT EXISTS sync_runs (dataset TEXT NOT NULL, source TEXT NOT NULL, run TEXT NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    "CREATE TABLE IF NOT EXISTS deliveries (dataset TEXT NOT NULL, source TEXT NOT NULL, delivery TEXT NOT NULL, "
    "at_ns INTEGER NOT NULL, PRIMARY KEY (dataset, source, delivery)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS audit (at_ns INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, "
    "dataset TEXT NOT NULL, events INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '')",
    # 2026-12-07 (issue 26): the dashboard's sign-in sessions (``sessions``), so that signing out ends
    # every copy of a session cookie; made in a file of any earlier format when it is first opened
    # (nothing stored changes, so no copy is kept and the format stays)
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, started_ns INTEGER NOT NULL) "
    "WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user)",
    # 2026-12-07 (issue 28, schema revision 20261207_0002): each alert's state and the annotations,
    # made in a file of any earlier format when it is first opened (nothing stored changes)
    "CREATE TABLE IF NOT EXISTS alert_states (alert TEXT PRIMARY KEY, body TEXT NOT NULL, updated_ns INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS annotations (id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, at_ns INTEGER NOT NULL, "
    "service TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, author TEXT NOT NULL, created_ns INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS annotations_by_time ON annotations (dataset, at_ns)",
)


def set_up(con: sqlite3.Connection, path: Path) -> None:
    """Create the tables in a new file; refuse another program's database; move older layouts."""
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    application = con.execute("PRAGMA application_id").fetchone()[0]
    first_layout = "events" in names and {"dataset", "kind", "ts"} <= {r[1] for r in con.execute("PRAGMA table_info(events)")}
    ours = application == APPLICATION_ID or "datasets" in names or first_layout
    if names and not ours:
        raise Refused(f"{path} is another program's SQLite database (tables: {', '.join(sorted(names)[:5])}): "
                         f"move it away or set METRICS_DATA_DIR to another directory")
    _use_wal(con)
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > FORMAT:
            raise Refused(f"{path} is of format {version}, newer than this version of the product knows (up to "
                             f"{FORMAT}): run the newer version, or restore a backup made for this one")
        old_columns = "columns" in names
        old_rows = first_layout
        stored = old_rows or old_columns or ("datasets" in names and
                                             con.execute("SELECT 1 FROM datasets LIMIT 1").fetchone() is not None)
        legacy = "segment_sizes" in names and version < ARROW_SEGMENTS and \
            con.execute("SELECT 1 FROM segments WHERE name = 'ts' LIMIT 1").fetchone() is not None
        backup = None
        if stored and (version < QUALIFIED_IDS or legacy):       # not for a file an older version only marked
            backup = backup_path(path, BACKUP_SUFFIX if version < QUALIFIED_IDS else ARROW_BACKUP_SUFFIX)
            _copy(path, backup, "qualifying PR and deployment ids with their service" if version < QUALIFIED_IDS
                  else "moving the stored events to Arrow segments")
        for statement in TABLES:
            con.execute(statement)
        if "datasets" in names and "segments" not in {r[1] for r in con.execute("PRAGMA table_info(datasets)")}:
            con.execute("ALTER TABLE datasets ADD COLUMN segments INTEGER NOT NULL DEFAULT 0")
        if legacy:
            _migrate_segments(con)
        if old_rows:
            _migrate_rows(con)
        if old_columns:
            _migrate_columns(con)
        if version < ARROW_SEGMENTS:
            con.execute("DROP TABLE IF EXISTS event_hashes")
            con.execute("DROP TABLE IF EXISTS pair_events")
        if backup is not None and version < QUALIFIED_IDS:
            _qualify_stored_ids(con, backup)
        if version < SEGMENT_SUMS:
            _add_sums(con)
        schema_version.stamp_sqlite(con, str(path))
        if version != FORMAT:
            con.execute(f"PRAGMA user_version = {FORMAT}")
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    if backup is not None:                  # give back the space of the earlier layout, if it can be now
        try:
            con.execute("VACUUM")
        except sqlite3.Error as e:
            print(f"{path}: the space of the earlier layout stays in the file for now ({e}); "
                  f"SQLite reuses it for new events", file=sys.stderr)


def _use_wal(con: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (it stays so). SQLite answers "locked" at once,
    without waiting, when another process is switching a new file at the same moment, so this
    waits and asks again, up to ``LOCK_WAIT_SECONDS``."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e).lower() or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _migrate_segments(con: sqlite3.Connection) -> None:
    """Datasets with segments of a BLOB per column (formats 3 and 4) move to Arrow segments, once.
    A dataset may hold both layouts (an older version appended to a moved file): its segments are
    read each by its own layout, exact duplicates kept once and pairing checked again, what is left
    out said on stderr and in the audit trail (the copy keeps it)."""
    for (name,) in con.execute("SELECT name FROM datasets ORDER BY name").fetchall():
        if not con.execute("SELECT 1 FROM segments WHERE dataset = ? AND name = 'ts' LIMIT 1", (name,)).fetchone():
            continue
        columns, _, report, repeats = checked(_segments_of_either_layout(con, name), "stored event", name)
        replace_all(con, name, columns, keep_sync=True)
        if repeats or report.rejected_count:
            detail = (f"moved to Arrow segments; {repeats} events stored twice, kept once; "
                      f"{report.rejected_count} in conflict, left out (in the copy)")
            for row in report.rejected.itertuples():
                print(f"  {name}: not kept ({row.row}): {row.reason}", file=sys.stderr)
            trail.record(con, MIGRATION_WHO, "migrate", name, -repeats - report.rejected_count, detail)


def _segments_of_either_layout(con: sqlite3.Connection, name: str) -> dict:
    """A dataset's events (``codec.to_columns``' arrays), each segment read by its own layout: a
    BLOB per column (``ts``, ``kind``, ``kind.texts``...) or an Arrow events file (``events``)."""
    sizes = dict(con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = ?", (name,)).fetchall())
    blobs: dict[int, dict[str, list]] = {}
    for segment, blob, data in con.execute(
            "SELECT segment, name, data FROM segments WHERE dataset = ? ORDER BY segment, name, part", (name,)):
        blobs.setdefault(segment, {}).setdefault(blob, []).append(data)
    parts = []
    for segment in sorted(blobs):
        whole = {k: b"".join(v) for k, v in blobs[segment].items()}
        parts.append(events_columns(whole["events"]) if "events" in whole else to_columns(whole, sizes.get(segment, 0)))
    return joined(parts) if parts else columns_of(empty_frame())


def _add_sums(con: sqlite3.Connection) -> None:
    """Every segment without sums (written before format 6) gets them, of its BLOBs as they are."""
    for name, segment in con.execute("SELECT DISTINCT dataset, segment FROM segments AS s WHERE NOT EXISTS "
                                     "(SELECT 1 FROM segments WHERE dataset = s.dataset AND segment = s.segment "
                                     "AND name = ?)", (SUMS,)).fetchall():
        write_sums(con, name, segment)


def _migrate_rows(con: sqlite3.Connection) -> None:
    """Datasets written one row per event (the first store) move to segments, once."""
    for (name,) in con.execute("SELECT DISTINCT dataset FROM events").fetchall():
        frame = pd.read_sql_query("SELECT * FROM events WHERE dataset = ? ORDER BY rowid", con, params=(name,))
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), utc=True, unit="ns")
        frame["metric_value"] = frame["metric_value"].astype(float)
        replace_all(con, name, columns_of(frame[list(s.COLUMNS)]))
    con.execute("DROP TABLE events")


def _migrate_columns(con: sqlite3.Connection) -> None:
    """Datasets written as one set of column BLOBs (the second store) move to segments, once."""
    for name, count in con.execute("SELECT name, events FROM datasets").fetchall():
        blobs: dict[str, bytearray] = {}
        for column, data in con.execute("SELECT name, data FROM columns WHERE dataset = ? ORDER BY name, part", (name,)):
            blobs.setdefault(column, bytearray()).extend(data)
        if blobs:
            replace_all(con, name, columns_of(decode({k: bytes(v) for k, v in blobs.items()}, count)))
    con.execute("DROP TABLE columns")


def backup_path(path: Path, suffix: str) -> Path:
    """Where the copy of a datasets file is kept before a migration: ``suffix`` beside it, or, when
    an earlier copy is there (the previous version opened the file again), the same name numbered
    from 2: a copy is never overwritten."""
    first = path.with_name(path.name + suffix)
    return next(p for p in chain([first], (first.with_name(f"{first.name}.{n}") for n in count(2))) if not p.exists())


def _copy(path: Path, backup: Path, doing: str) -> None:
    """A consistent copy of the open database (its write-ahead log included) at ``backup``: written
    beside it under a temporary name and renamed, so a copy that exists is whole."""
    partial = backup.with_name(backup.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        # from a second connection: it reads the state the caller's write lock holds still
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(partial)) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")                # one self-contained file
        os.replace(partial, backup)
    except OSError as e:
        raise StoreError(f"cannot keep a copy of {path} at {backup} before moving it to this version "
                         f"({e.strerror}): nothing was changed; free some space or make the directory writable") from None
    print(f"{path}: {doing} (once); the previous file is kept "
          f"as {backup} (put it back, with the previous version, to undo)", file=sys.stderr)


def _qualify_stored_ids(con: sqlite3.Connection, backup: Path) -> None:
    """Every dataset's PR and deployment ids qualified by ``ingest.ids.qualify_ids`` (the function
    new events go through), its row hashes and pairing events rebuilt; events that became exact
    duplicates are kept once, and events that a qualified id makes conflict (a second
    ``pr_created`` for one PR) are left out and said (the backup keeps them). One audit entry per
    dataset."""
    for (name,) in con.execute("SELECT name FROM datasets ORDER BY name").fetchall():
        frame = read(con, name)
        qualified = qualify_ids(frame)
        if qualified.equals(frame):
            continue
        duplicate = qualified.duplicated(keep="first").to_numpy()
        qualified = qualified[~duplicate].reset_index(drop=True)
        labels = np.char.add("stored event ", (np.flatnonzero(~duplicate) + 1).astype(str)).astype(object)
        kept, report, _ = check_pairs(qualified, labels, [name] * len(qualified))
        replace_all(con, name, columns_of(kept))
        detail = f"ids qualified with their service; copy of the file before: {backup}"
        if duplicate.any():
            detail += f"; {int(duplicate.sum())} events became duplicates, kept once"
        if report.rejected_count:
            detail += f"; {report.rejected_count} in conflict, left out (in the copy)"
            for row in report.rejected.itertuples():
                print(f"  {name}: not kept ({row.row}): {row.reason}", file=sys.stderr)
        trail.record(con, MIGRATION_WHO, "migrate", name, len(kept) - len(frame), detail)
