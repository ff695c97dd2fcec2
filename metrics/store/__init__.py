"""Stored datasets: imported events kept in one embedded SQLite file under a data directory.

The interface (everything else here is private, so a server database can take SQLite's place):
``append`` (add events: imports, uploads, syncs, webhooks), ``save`` (append, or ``replace``),
``load`` (the event frame), ``load_tables`` (the per-kind tables), ``version`` (a token that changes
with every write), ``list_datasets``, ``delete``, ``check_name``, ``save_lines``, ``data_dir``; for
live sync ``append_with_state``, ``sync_state``, ``record_sync_run``, ``sync_runs``; for webhooks
``deliver`` (exactly once per delivery id); the audit trail ``audit_log`` (every write records who,
when, which dataset and how many events, in the write's own transaction); errors are
``StoreError``, one sentence each.

How it is kept. The directory is ``METRICS_DATA_DIR`` (default ``./data``), the file
``datasets.sqlite``. Each write adds one immutable *segment* per dataset: every column one BLOB
(times int64 ns, values float64, each text column int32 codes plus its distinct texts). A write
therefore costs in proportion to what it adds, not to the dataset; past ``MAX_SEGMENTS`` segments
a write compacts the dataset into one. Duplicates are found through a table of 64-bit row hashes,
and conflicts (a second ``incident_start`` for an id...) through a table of the pairing events
(incident start and resolution, PR creation and merge), so neither needs the stored events.

Every write is one SQLite transaction that takes the write lock before it reads anything
(``BEGIN IMMEDIATE``): concurrent imports into one dataset each add all of theirs, a killed
import leaves the previous state, and every process (each gunicorn worker) sees the same
datasets. Stored events always win: an event that conflicts with a stored one is reported, not
stored. A damaged, foreign, read-only or full database is a ``StoreError`` naming the file, what
is wrong and what to do.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema as s
from ..ingest import LoadReport, check_pairs
from ..tables import EventTables, tables_from_codes, ts_ns

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_EVENTS = int(os.environ.get("METRICS_MAX_DATASET_EVENTS", "10000000"))
MAX_SEGMENTS = 64                       # past this many segments, a write compacts the dataset into one
TEXT_COLUMNS = [c for c in s.COLUMNS if c not in ("ts", "metric_value")]
PART_BYTES = 64 * 1024 * 1024           # a column's BLOB is cut into parts of at most this size
APPLICATION_ID = 0x4D545243             # "MTRC": marks the file as this product's
FORMAT = 3                              # PRAGMA user_version of the segment layout
PAIRING_KINDS = (s.INCIDENT_START, s.INCIDENT_RESOLVED, s.PR_CREATED, s.PR_MERGED)
FILE_NAME = "datasets.sqlite"
TABLES = (
    "CREATE TABLE IF NOT EXISTS datasets (name TEXT PRIMARY KEY, events INTEGER NOT NULL, first_ns INTEGER, "
    "last_ns INTEGER, segments INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS segments (dataset TEXT NOT NULL, segment INTEGER NOT NULL, name TEXT NOT NULL, "
    "part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (dataset, segment, name, part))",
    "CREATE TABLE IF NOT EXISTS segment_sizes (dataset TEXT NOT NULL, segment INTEGER NOT NULL, events INTEGER NOT NULL, "
    "PRIMARY KEY (dataset, segment))",
    "CREATE TABLE IF NOT EXISTS event_hashes (dataset TEXT NOT NULL, hash INTEGER NOT NULL, "
    "PRIMARY KEY (dataset, hash)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS pair_events (dataset TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, "
    "ts INTEGER NOT NULL, PRIMARY KEY (dataset, kind, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS generations (dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_state (dataset TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    "CREATE TABLE IF NOT EXISTS sync_runs (dataset TEXT NOT NULL, source TEXT NOT NULL, run TEXT NOT NULL, "
    "PRIMARY KEY (dataset, source))",
    "CREATE TABLE IF NOT EXISTS deliveries (dataset TEXT NOT NULL, source TEXT NOT NULL, delivery TEXT NOT NULL, "
    "at_ns INTEGER NOT NULL, PRIMARY KEY (dataset, source, delivery)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS audit (at_ns INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, "
    "dataset TEXT NOT NULL, events INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '')",
)
# every write to a dataset bumps its generation, so caches keyed on ``version`` never see stale events
BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET generation = generation + 1"


class StoreError(Exception):
    """A dataset operation that cannot be done (bad name, unknown dataset, over the size limit, a
    store that cannot be read or written): one sentence."""


@dataclass
class DatasetInfo:
    name: str
    events: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


_READY: set = set()                     # database files whose tables this process has set up


def data_dir() -> Path:
    """The data directory: ``METRICS_DATA_DIR``, default ``./data``."""
    return Path(os.environ.get("METRICS_DATA_DIR", "data"))


def store_path() -> Path:
    return data_dir() / FILE_NAME


def _explain(error: sqlite3.Error, path: Path) -> StoreError:
    """A sqlite3 error as one sentence: which file, what is wrong, what to do."""
    text = str(error).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StoreError(f"the disk holding {path} is full: nothing was stored; free some space and try again")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only: nothing can be stored; make it (and its directory) writable, "
                          f"or set METRICS_DATA_DIR to a writable directory")
    if "unable to open" in text or "cannot open" in text:
        return StoreError(f"cannot open {path}: check that its directory exists and is readable and writable, "
                          f"or set METRICS_DATA_DIR to another directory")
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return StoreError(f"{path} is damaged or is not a datasets file: move it away (the datasets in it are lost "
                          f"unless you have a copy) or set METRICS_DATA_DIR to another directory")
    if "locked" in text or "busy" in text:
        return StoreError(f"{path} stayed locked by another writer for too long; try again")
    return StoreError(f"{path} cannot be used ({error}); move it away or set METRICS_DATA_DIR to another directory")


@contextmanager
def _guarded(path: Path):
    """Turn every SQLite failure inside the block into a StoreError sentence."""
    try:
        yield
    except sqlite3.Error as e:
        raise _explain(e, path) from None


def _connect() -> sqlite3.Connection:
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the data directory {directory} ({e.strerror}); "
                         f"set METRICS_DATA_DIR to a writable directory") from None
    path = directory / FILE_NAME
    with _guarded(path):
        con = sqlite3.connect(path, timeout=60, isolation_level=None)     # transactions are explicit
        if path.exists() and path.resolve() in _READY:
            return con
        try:
            _set_up(con, path)
        except BaseException:
            con.close()
            raise
    _READY.add(path.resolve())
    return con


def _set_up(con: sqlite3.Connection, path: Path) -> None:
    """Create the tables in a new file; refuse another program's database; move older layouts."""
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    application = con.execute("PRAGMA application_id").fetchone()[0]
    first_layout = "events" in names and {"dataset", "kind", "ts"} <= {r[1] for r in con.execute("PRAGMA table_info(events)")}
    ours = application == APPLICATION_ID or "datasets" in names or first_layout
    if names and not ours:
        raise StoreError(f"{path} is another program's SQLite database (tables: {', '.join(sorted(names)[:5])}): "
                         f"move it away or set METRICS_DATA_DIR to another directory")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        old_columns = "columns" in names
        old_rows = first_layout
        for statement in TABLES:
            con.execute(statement)
        if "datasets" in names and "segments" not in {r[1] for r in con.execute("PRAGMA table_info(datasets)")}:
            con.execute("ALTER TABLE datasets ADD COLUMN segments INTEGER NOT NULL DEFAULT 0")
        if old_rows:
            _migrate_rows(con)
        if old_columns:
            _migrate_columns(con)
        if version != FORMAT:
            con.execute(f"PRAGMA user_version = {FORMAT}")
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


@contextmanager
def _writing():
    """A connection in a write transaction taken before anything is read (``BEGIN IMMEDIATE``):
    committed when the block ends, rolled back if it raises."""
    path = store_path()
    with closing(_connect()) as con, _guarded(path):
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:          # SQLite has already rolled back after some errors (a full disk)
                con.execute("ROLLBACK")
            raise


@contextmanager
def _reading():
    path = store_path()
    with closing(_connect()) as con, _guarded(path):
        yield con


def check_name(name: str) -> str:
    """``name`` if it is a valid dataset name (1-64 letters, digits, '.', '_' or '-'), else StoreError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise StoreError(f"dataset names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                         f"got {str(name)[:80]!r}")
    return name


# ---------------------------------------------------------------------------------------------
# columns <-> BLOBs


def _encode(frame: pd.DataFrame) -> dict[str, bytes]:
    """Column name -> bytes: ``ts`` int64 ns, ``metric_value`` float64, each text column int32
    codes (``c``) and its distinct texts as a JSON list (``c.texts``)."""
    out = {"ts": ts_ns(frame["ts"]).astype("<i8").tobytes(),
           "metric_value": frame["metric_value"].to_numpy(dtype="<f8").tobytes()}
    for c in TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].astype(str), use_na_sentinel=False)
        out[c] = codes.astype("<i4").tobytes()
        out[c + ".texts"] = json.dumps([str(t) for t in texts]).encode("utf-8")
    return out


def _columns(blobs: dict[str, bytes], count: int) -> dict:
    """``_encode``'s bytes as arrays: ``ts`` int64 ns, ``metric_value`` float64, and each text
    column as (int32 codes, its distinct texts as an object array)."""
    columns = {"ts": np.frombuffer(blobs["ts"], dtype="<i8"),
               "metric_value": np.frombuffer(blobs["metric_value"], dtype="<f8").copy()}
    for c in TEXT_COLUMNS:
        texts = np.asarray(json.loads(blobs[c + ".texts"].decode("utf-8")) or [""], dtype=object)
        codes = np.frombuffer(blobs[c], dtype="<i4") if count else np.array([], dtype=np.int32)
        columns[c] = (codes, texts)
    return columns


def _frame(columns: dict) -> pd.DataFrame:
    """The event frame of ``_columns``' arrays."""
    out = {"ts": pd.to_datetime(columns["ts"], utc=True, unit="ns"), "metric_value": columns["metric_value"]}
    for c in TEXT_COLUMNS:
        codes, texts = columns[c]
        out[c] = texts[codes]
    return pd.DataFrame(out)[list(s.COLUMNS)]


def _decode(blobs: dict[str, bytes], count: int) -> pd.DataFrame:
    """The event frame from ``_encode``'s bytes."""
    return _frame(_columns(blobs, count))


def _joined(segments: list[dict]) -> dict:
    """Several segments' ``_columns`` as one: times and values concatenated, each text column's
    codes renumbered onto the distinct texts of all segments."""
    if len(segments) == 1:
        return segments[0]
    out = {c: np.concatenate([seg[c] for seg in segments]) for c in ("ts", "metric_value")}
    for c in TEXT_COLUMNS:
        texts = pd.unique(np.concatenate([seg[c][1] for seg in segments]))
        index = pd.Index(texts)
        out[c] = (np.concatenate([index.get_indexer(seg[c][1]).astype(np.int32)[seg[c][0]] for seg in segments]),
                  np.asarray(texts, dtype=object))
    return out


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each event (every column), as signed int64 for SQLite."""
    return pd.util.hash_pandas_object(frame[list(s.COLUMNS)], index=False).to_numpy().view(np.int64)


def _write_segment(con: sqlite3.Connection, name: str, frame: pd.DataFrame, segment: int, progress=None) -> None:
    blobs = _encode(frame)
    for i, (column, data) in enumerate(blobs.items()):
        if progress:
            progress(i, len(blobs), f"storing {name}")
        for part, at in enumerate(range(0, max(len(data), 1), PART_BYTES)):
            con.execute("INSERT INTO segments VALUES (?, ?, ?, ?, ?)", (name, segment, column, part, data[at:at + PART_BYTES]))
    con.execute("INSERT INTO segment_sizes VALUES (?, ?, ?)", (name, segment, len(frame)))
    if progress:
        progress(len(blobs), len(blobs), f"stored {name}")


def _read_columns(con: sqlite3.Connection, name: str) -> dict | None:
    """The dataset's events as one ``_columns`` dict (None when there is no such dataset)."""
    row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    sizes = dict(con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = ?", (name,)).fetchall())
    blobs: dict[int, dict[str, list]] = {}
    for segment, column, data in con.execute(
            "SELECT segment, name, data FROM segments WHERE dataset = ? ORDER BY segment, name, part", (name,)):
        blobs.setdefault(segment, {}).setdefault(column, []).append(data)
    segments = [_columns({k: v[0] if len(v) == 1 else b"".join(v) for k, v in blobs[seg].items()}, sizes.get(seg, 0))
                for seg in sorted(blobs)]
    if not segments:
        empty = (np.array([], dtype=np.int32), np.array([""], dtype=object))
        return {"ts": np.array([], dtype=np.int64), "metric_value": np.array([], dtype=float),
                **{c: empty for c in TEXT_COLUMNS}}
    return _joined(segments)


def _read(con: sqlite3.Connection, name: str) -> pd.DataFrame | None:
    columns = _read_columns(con, name)
    if columns is None:
        return None
    if not len(columns["ts"]):
        return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns, UTC]" if c == "ts" else float
                                          if c == "metric_value" else object) for c in s.COLUMNS})
    return _frame(columns)


def _clear(con: sqlite3.Connection, name: str) -> None:
    for table in ("segments", "segment_sizes", "event_hashes", "pair_events", "sync_state", "sync_runs"):
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", (name,))
    con.execute("DELETE FROM datasets WHERE name = ?", (name,))


def _index(con: sqlite3.Connection, name: str, frame: pd.DataFrame) -> None:
    """Record the hashes and the pairing events of newly stored events."""
    con.executemany("INSERT OR IGNORE INTO event_hashes VALUES (?, ?)", ((name, int(h)) for h in _hashes(frame)))
    pairs = frame[frame["kind"].isin(PAIRING_KINDS)]
    ids = np.where(pairs["kind"].isin(s.INCIDENT_KINDS), pairs["incident_id"], pairs["pr_id"])
    con.executemany("INSERT OR IGNORE INTO pair_events VALUES (?, ?, ?, ?)",
                    ((name, k, i, int(t)) for k, i, t in zip(pairs["kind"], ids, ts_ns(pairs["ts"]))))


def _migrate_rows(con: sqlite3.Connection) -> None:
    """Datasets written one row per event (the first store) move to segments, once."""
    for (name,) in con.execute("SELECT DISTINCT dataset FROM events").fetchall():
        frame = pd.read_sql_query("SELECT * FROM events WHERE dataset = ? ORDER BY rowid", con, params=(name,))
        frame["ts"] = pd.to_datetime(frame["ts"].to_numpy(dtype=np.int64), utc=True, unit="ns")
        frame["metric_value"] = frame["metric_value"].astype(float)
        _replace_all(con, name, frame[list(s.COLUMNS)])
    con.execute("DROP TABLE events")


def _migrate_columns(con: sqlite3.Connection) -> None:
    """Datasets written as one set of column BLOBs (the second store) move to segments, once."""
    for name, count in con.execute("SELECT name, events FROM datasets").fetchall():
        blobs: dict[str, bytearray] = {}
        for column, data in con.execute("SELECT name, data FROM columns WHERE dataset = ? ORDER BY name, part", (name,)):
            blobs.setdefault(column, bytearray()).extend(data)
        if blobs:
            _replace_all(con, name, _decode({k: bytes(v) for k, v in blobs.items()}, count))
    con.execute("DROP TABLE columns")


def _replace_all(con: sqlite3.Connection, name: str, frame: pd.DataFrame, progress=None) -> None:
    """The dataset becomes exactly ``frame``, in one segment (inside the caller's transaction)."""
    _clear(con, name)
    _write_segment(con, name, frame, 0, progress)
    _index(con, name, frame)
    t = ts_ns(frame["ts"]) if len(frame) else None
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, 1)",
                (name, len(frame), int(t.min()) if t is not None else None, int(t.max()) if t is not None else None))
    con.execute(BUMP_GENERATION, (name,))


# ---------------------------------------------------------------------------------------------
# conflicts with stored events


def _conflicts(con: sqlite3.Connection, name: str, new: pd.DataFrame) -> np.ndarray:
    """The reason each new event conflicts with a stored one ("" when it does not): a second
    incident_start / incident_resolved / pr_created / pr_merged for a stored id, an
    incident_resolved before its stored start, a PR event before its stored creation."""
    reason = np.full(len(new), "", dtype=object)
    kind = new["kind"].to_numpy()
    ident = np.where(np.isin(kind, s.INCIDENT_KINDS), new["incident_id"].to_numpy(), new["pr_id"].to_numpy())
    wanted = sorted(set(ident[np.isin(kind, s.INCIDENT_KINDS + s.PR_KINDS)]) - {""})
    if not wanted:
        return reason
    stored = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for k, i, t in con.execute(f"SELECT kind, id, ts FROM pair_events WHERE dataset = ? AND id IN ({marks})",
                                   (name, *chunk)):
            stored[(k, i)] = t
    if not stored:
        return reason
    t = ts_ns(new["ts"])
    id_column = {s.INCIDENT_START: "incident_id", s.INCIDENT_RESOLVED: "incident_id", s.PR_CREATED: "pr_id",
                 s.PR_MERGED: "pr_id"}
    for row in range(len(new)):
        k, i = kind[row], ident[row]
        if k in id_column and (k, i) in stored:
            reason[row] = f"second {k} for the same {id_column[k]} (one is already stored)"
        elif k == s.INCIDENT_RESOLVED and t[row] < stored.get((s.INCIDENT_START, i), t[row]):
            reason[row] = "incident_resolved before its incident_start (already stored)"
        elif k in (s.PR_REVIEWED, s.PR_MERGED) and t[row] < stored.get((s.PR_CREATED, i), t[row]):
            reason[row] = "PR event before its pr_created (already stored)"
    return reason


# ---------------------------------------------------------------------------------------------
# the operations


def append(name: str, frame: pd.DataFrame, *, replace: bool = False, progress=None,
           in_transaction=None, who: str | None = None, action: str = "import",
           detail: str = "") -> tuple[int, int, LoadReport]:
    """Add validated events to a dataset (creating it), in one transaction; with ``replace``, the
    dataset's events are replaced by these.

    Exact duplicates of stored events (and within ``frame``) are dropped and counted; events that
    conflict with stored ones are reported and not stored (stored events always win). Costs in
    proportion to ``frame``, not to the dataset. ``in_transaction(connection)``, when given, runs
    inside the same transaction (a sync stores its watermark with the page it covers). The audit
    trail records ``who`` (default: this machine's user, for the command line), ``action`` and the
    events added, in the same transaction. Returns (events stored, events added, report of the merge).
    """
    new, labels, report, within = _prepare(name, frame)
    with _writing() as con:
        return _write(con, name, new, labels, report, within, replace, progress, in_transaction, who, action, detail)


def _prepare(name: str, frame: pd.DataFrame) -> tuple:
    """What ``append`` can check before its transaction: duplicates and pairing within ``frame``."""
    check_name(name)
    new = frame[list(s.COLUMNS)].reset_index(drop=True)
    within = new.duplicated(keep="first").to_numpy()
    labels = np.char.add("imported event ", (np.arange(len(new)) + 1).astype(str)).astype(object)
    new, labels = new[~within].reset_index(drop=True), labels[~within]
    new, report, kept = check_pairs(new, labels, [name] * len(new))
    return new, labels[kept], report, within


def _write(con: sqlite3.Connection, name: str, new: pd.DataFrame, labels: np.ndarray, report: LoadReport,
           within: np.ndarray, replace: bool, progress, in_transaction, who, action: str,
           detail: str) -> tuple[int, int, LoadReport]:
    """``append``'s work inside its write transaction (``con``)."""
    row = None if replace else con.execute("SELECT events, first_ns, last_ns, segments FROM datasets WHERE name = ?",
                                            (name,)).fetchone()
    duplicates = int(within.sum())
    if row is not None and len(new):
        hashes = _hashes(new)
        con.execute("CREATE TEMP TABLE IF NOT EXISTS incoming (hash INTEGER)")
        con.execute("DELETE FROM incoming")
        con.executemany("INSERT INTO incoming VALUES (?)", ((int(h),) for h in hashes))
        seen = {h for (h,) in con.execute("SELECT hash FROM incoming JOIN event_hashes USING (hash) "
                                          "WHERE dataset = ?", (name,))}
        stored_already = np.isin(hashes, np.fromiter(seen, dtype=np.int64, count=len(seen)))
        duplicates += int(stored_already.sum())
        new, labels = new[~stored_already].reset_index(drop=True), labels[~stored_already]
        reason = _conflicts(con, name, new)
        clash = reason != ""
        if clash.any():
            report.rejected = pd.concat([report.rejected, pd.DataFrame(
                {"source": name, "row": labels[clash], "reason": reason[clash]})], ignore_index=True)
            new = new[~clash].reset_index(drop=True)
    report.duplicates = duplicates
    before = 0 if row is None else row[0]
    total = before + len(new)
    if total > MAX_EVENTS:
        raise StoreError(f"dataset {name!r} would hold {total:,} events, over the limit of {MAX_EVENTS:,} "
                         f"(METRICS_MAX_DATASET_EVENTS)")
    if row is None:
        _replace_all(con, name, new, progress)
    elif len(new):
        segments = row[3]
        if segments + 1 > MAX_SEGMENTS:
            everything = pd.concat([_read(con, name), new], ignore_index=True)
            _replace_all(con, name, everything, progress)
        else:
            next_segment = (con.execute("SELECT COALESCE(MAX(segment), -1) FROM segment_sizes WHERE dataset = ?",
                                        (name,)).fetchone()[0]) + 1
            _write_segment(con, name, new, next_segment, progress)
            _index(con, name, new)
            t = ts_ns(new["ts"])
            first = int(t.min()) if row[1] is None else min(row[1], int(t.min()))
            last = int(t.max()) if row[2] is None else max(row[2], int(t.max()))
            con.execute("UPDATE datasets SET events = ?, first_ns = ?, last_ns = ?, segments = segments + 1 "
                        "WHERE name = ?", (total, first, last, name))
            con.execute(BUMP_GENERATION, (name,))
    if in_transaction:
        in_transaction(con)
    _audit(con, who, "replace" if replace else action, name, total - before, detail)
    return total, total - before, report


def save(name: str, frame: pd.DataFrame, replace: bool = False, progress=None, who: str | None = None,
         action: str = "import", detail: str = "") -> tuple[int, int, LoadReport]:
    """``append`` (the command line's and the upload's name for it)."""
    return append(name, frame, replace=replace, progress=progress, who=who, action=action, detail=detail)


def save_lines(name: str, total: int, added: int, merge: LoadReport) -> list[str]:
    """What ``append`` did, as text lines: events not stored (conflicts), then the dataset's count."""
    lines = [f"  not stored ({row.row}): {row.reason}" for row in merge.rejected.itertuples()]
    return lines + [f"Dataset {name}: {total} events ({added:+d}; {merge.duplicates} already stored, "
                    f"{merge.rejected_count} in conflict with stored events)"]


def load(name: str) -> pd.DataFrame:
    """The events of a stored dataset, as the validated event frame (``ingest.normalize``'s form)."""
    check_name(name)
    with _reading() as con:
        frame = _read(con, name)
    if frame is None:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return frame


def load_tables(name: str) -> EventTables:
    """The events of a stored dataset as per-kind tables: ``tables_from_frame(load(name))``, built
    from the stored codes without turning them into strings."""
    check_name(name)
    with _reading() as con:
        columns = _read_columns(con, name)
    if columns is None:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return tables_from_codes(columns["ts"], columns["metric_value"], {c: columns[c] for c in TEXT_COLUMNS})


def version(name: str) -> tuple:
    """A cheap token that changes whenever the dataset's events change (caches key on it): the
    data directory, the event count and the dataset's write generation."""
    check_name(name)
    with _reading() as con:
        row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
        generation = con.execute("SELECT generation FROM generations WHERE dataset = ?", (name,)).fetchone()
    if row is None:
        raise StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")
    return str(data_dir().resolve()), row[0], generation[0] if generation else 0


def list_datasets() -> list[DatasetInfo]:
    """Every stored dataset with its event count and time span."""
    with _reading() as con:
        rows = con.execute("SELECT name, events, first_ns, last_ns FROM datasets ORDER BY name").fetchall()
    return [DatasetInfo(n, c, pd.Timestamp(lo, tz="UTC") if lo is not None else None,
                        pd.Timestamp(hi, tz="UTC") if hi is not None else None) for n, c, lo, hi in rows]


def delete(name: str, who: str | None = None) -> int:
    """Delete a dataset (recorded in the audit trail as ``who``); returns how many events it held."""
    check_name(name)
    with _writing() as con:
        row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StoreError(f"no dataset named {name!r}")
        _clear(con, name)
        con.execute(BUMP_GENERATION, (name,))
        _audit(con, who, "delete", name, row[0])
    return row[0]


# ---------------------------------------------------------------------------------------------
# webhooks: each delivery stored exactly once


@dataclass(frozen=True)
class Delivered:
    total: int              # events in the dataset after the delivery
    added: int
    repeated: bool          # the delivery id was stored before: nothing was added
    report: LoadReport


def deliver(name: str, frame: pd.DataFrame, source: str, delivery_id: str, once: str = "",
            who: str | None = None, skipped: dict | None = None) -> Delivered:
    """Store a webhook delivery's events exactly once, in one transaction: a delivery id seen
    before adds nothing; ``once`` (a deployment's key) lets only its first delivery's deployments
    count. The source's totals (deliveries, events added, skipped by reason) are kept with the
    dataset, shown like a sync's last run; the audit trail records the write as ``who``."""
    new, labels, report, within = _prepare(name, frame)
    skipped = dict(skipped or {})

    def seen(con, key: str) -> bool:
        return bool(key) and con.execute("SELECT 1 FROM deliveries WHERE dataset = ? AND source = ? AND delivery = ?",
                                         (name, source, key)).fetchone() is not None

    with _writing() as con:
        if seen(con, delivery_id):
            row = con.execute("SELECT events FROM datasets WHERE name = ?", (name,)).fetchone()
            return Delivered(row[0] if row else 0, 0, True, report)
        if once and seen(con, "once:" + once):
            later = (new["kind"] == s.DEPLOY).to_numpy()
            if later.any():
                reason = "later final statuses of a deployment (its first one counts)"
                skipped[reason] = skipped.get(reason, 0) + int(later.sum())
                new, labels = new[~later].reset_index(drop=True), labels[~later]
        total, added, report = _write(con, name, new, labels, report, within, False, None, None, who, "webhook",
                                      f"{source} delivery {delivery_id}".strip())
        now = time.time_ns()
        for key in (delivery_id, "once:" + once if once else ""):
            if key:
                con.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)", (name, source, key, now))
        key = f"webhook:{source}"
        previous = con.execute("SELECT run FROM sync_runs WHERE dataset = ? AND source = ?", (name, key)).fetchone()
        totals = json.loads(previous[0]) if previous else {"deliveries": 0, "added": 0, "skipped": {}, "rejected": 0}
        totals["deliveries"] += 1
        totals["added"] += added
        totals["rejected"] += report.rejected_count
        for reason, count in skipped.items():
            totals["skipped"][reason] = totals["skipped"].get(reason, 0) + count
        totals.update(at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now / 1e9)), error="")
        con.execute("INSERT OR REPLACE INTO sync_runs VALUES (?, ?, ?)", (name, key, json.dumps(totals)))
    report.skipped = skipped
    return Delivered(total, added, False, report)


# ---------------------------------------------------------------------------------------------
# the audit trail: every write, with who did it


@dataclass(frozen=True)
class AuditEntry:
    at: pd.Timestamp
    who: str
    action: str
    dataset: str
    events: int
    detail: str


def local_user() -> str:
    """Who a write from this machine's command line is: ``cli:`` and the operating-system user."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _audit(con: sqlite3.Connection, who: str | None, action: str, name: str, events: int, detail: str = "") -> None:
    con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)",
                (time.time_ns(), (who or local_user())[:200], action, name, int(events), detail[:500]))


def record_audit(action: str, detail: str = "", who: str | None = None) -> None:
    """Add an entry to the audit trail that changes no dataset (a user added, a role changed)."""
    with _writing() as con:
        _audit(con, who, action, "", 0, detail)


def audit_log(limit: int = 100, dataset: str | None = None) -> list[AuditEntry]:
    """The latest ``limit`` writes (newest first), of every dataset or of ``dataset``."""
    query = "SELECT at_ns, who, action, dataset, events, detail FROM audit"
    params: tuple = ()
    if dataset is not None:
        check_name(dataset)
        query, params = query + " WHERE dataset = ?", (dataset,)
    with _reading() as con:
        rows = con.execute(query + " ORDER BY at_ns DESC, rowid DESC LIMIT ?", (*params, int(limit))).fetchall()
    return [AuditEntry(pd.Timestamp(at, unit="ns", tz="UTC"), who, action, name, events, detail)
            for at, who, action, name, events, detail in rows]


# ---------------------------------------------------------------------------------------------
# live sync: each source's state (watermarks, open items) and its last run, per dataset


def sync_state(name: str, source: str) -> dict:
    """The stored sync state of ``source`` for dataset ``name`` ({} before its first sync)."""
    check_name(name)
    with _reading() as con:
        row = con.execute("SELECT state FROM sync_state WHERE dataset = ? AND source = ?", (name, source)).fetchone()
    return json.loads(row[0]) if row else {}


def append_with_state(name: str, frame: pd.DataFrame, source: str, state: dict, who: str | None = None) -> int:
    """Add ``frame``'s events to dataset ``name`` and store ``source``'s sync ``state`` in the same
    transaction (both or neither); returns the events added."""
    def write_state(con):
        con.execute("INSERT OR REPLACE INTO sync_state VALUES (?, ?, ?)", (name, source, json.dumps(state)))
    _, added, _ = append(name, frame, in_transaction=write_state, who=who, action="sync", detail=source)
    return added


def record_sync_run(name: str, source: str, run: dict) -> None:
    """Keep how ``source``'s last sync of ``name`` went (time, events added, error)."""
    check_name(name)
    with _writing() as con:
        con.execute("INSERT OR REPLACE INTO sync_runs VALUES (?, ?, ?)", (name, source, json.dumps(run)))


def sync_runs(name: str) -> list[tuple[str, str]]:
    """(source, last run as JSON) of every source synced into ``name``."""
    check_name(name)
    with _reading() as con:
        return con.execute("SELECT source, run FROM sync_runs WHERE dataset = ? ORDER BY source", (name,)).fetchall()
