"""The connection to the store: the datasets file (where it is, its set-up on first use in a
process, every SQLite failure as one ``StoreError`` sentence), or the PostgreSQL database that
``METRICS_DATABASE_URL`` names (``postgres.connection``); the write and read transactions of
either. A connection's ``dialect`` says which ("sqlite" or "postgresql")."""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import closing, contextmanager
from pathlib import Path

from . import database
from .errors import StoreError, StoreFull
from .migrations import LOCK_WAIT_SECONDS, set_up

FILE_NAME = "datasets.sqlite"

_READY: set = set()                     # database files whose tables this process has set up
_KEPT = threading.local()               # each thread's kept reading connection (``kept_reading``)
_OPENED = [0]                           # how often ``forget_open_files`` was called: kept connections reopen


def data_dir() -> Path:
    """The data directory: ``METRICS_DATA_DIR``, default ``./data``."""
    return Path(os.environ.get("METRICS_DATA_DIR", "data"))


def store_path() -> Path:
    """The datasets file: ``datasets.sqlite`` in the data directory."""
    return data_dir() / FILE_NAME


class SqliteConnection(sqlite3.Connection):
    """A connection to the datasets file that says its dialect (as the PostgreSQL one does)."""
    dialect = "sqlite"


def where() -> str:
    """The store in words: the datasets file's path, or the PostgreSQL database (never its password)."""
    db = database.configured()
    return db.where() if db is not None else str(store_path())


def forget_open_files() -> None:
    """Forget which datasets files this process has already opened and set up, so the next
    operation checks its file again (its marks, its tables, an earlier layout to move), as a new
    process would: for a file replaced or made read-only while the process runs (tests do both)."""
    _READY.clear()
    _OPENED[0] += 1
    if database.configured() is not None:
        from .postgres.connection import forget_engines
        forget_engines()


def _explain(error: sqlite3.Error, path: Path) -> StoreError:
    """A sqlite3 error as one sentence: which file, what is wrong, what to do."""
    text = str(error).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StoreFull(f"the disk holding {path} is full: nothing was stored; free some space and try again")
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


def made_data_dir() -> Path:
    """The data directory, created when missing (a StoreError sentence when it cannot be)."""
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the data directory {directory} ({e.strerror}); "
                         f"set METRICS_DATA_DIR to a writable directory") from None
    return directory


def _connect() -> sqlite3.Connection:
    directory = made_data_dir()
    path = directory / FILE_NAME
    with _guarded(path):
        con = sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS, isolation_level=None,      # transactions are explicit
                              factory=SqliteConnection)
        if path.exists() and path.resolve() in _READY:
            return con
        try:
            set_up(con, path)
        except BaseException:
            con.close()
            raise
    _READY.add(path.resolve())
    return con


def _postgres(transaction: str):
    """The PostgreSQL database's ``writing`` or ``reading`` transaction (``postgres.connection``)
    when ``METRICS_DATABASE_URL`` names one, else None (the SQLite file)."""
    db = database.configured()
    if db is None:
        return None
    from .postgres import connection as postgres
    return getattr(postgres, transaction)(db)


@contextmanager
def writing():
    """A connection in a write transaction taken before anything is read (``BEGIN IMMEDIATE``):
    committed when the block ends, rolled back if it raises. (PostgreSQL: the same, every host's
    writes serialised by one advisory lock.)"""
    on_postgres = _postgres("writing")
    if on_postgres is not None:
        with on_postgres as con:
            yield con
        return
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
def reading():
    """A connection for reading (each statement sees one consistent state of the file; on
    PostgreSQL the whole block does)."""
    on_postgres = _postgres("reading")
    if on_postgres is not None:
        with on_postgres as con:
            yield con
        return
    path = store_path()
    with closing(_connect()) as con, _guarded(path):
        yield con


@contextmanager
def kept_reading():
    """A connection for reading that this thread keeps open between calls, for the small lookup
    every signed-in request makes (opening the file costs a hundred times the lookup). Reopened in
    a new process, for another data directory or another file at its path, after
    ``forget_open_files`` or a failure. Read
    every statement's rows to the end (``fetchall``) so no read stays open between requests. (On
    PostgreSQL the pool keeps the connections: this is ``reading``.)"""
    on_postgres = _postgres("reading")
    if on_postgres is not None:
        with on_postgres as con:
            yield con
        return
    path = store_path()
    try:
        stat = os.stat(path)
        file = (stat.st_dev, stat.st_ino)       # another file at the same path (a backup restored): reopened
    except OSError:
        file = None
    key = (os.getpid(), str(path), file, _OPENED[0])
    if getattr(_KEPT, "key", None) != key:
        _KEPT.con = _KEPT.key = None            # the old one dropped (a forked child never uses its parent's)
        _KEPT.con, _KEPT.key = _connect(), key
    try:
        with _guarded(path):
            yield _KEPT.con
    except BaseException:
        _KEPT.con.close()
        _KEPT.con, _KEPT.key = None, None
        raise
