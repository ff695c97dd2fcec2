"""One ``sync --every`` loop per dataset at a time, across every host that shares the store.

PostgreSQL: a session-level advisory lock per dataset (``pg_try_advisory_lock`` on a key derived
from the dataset's name), held on a connection of its own for as long as the loop runs; the lock
goes with its connection, so a loop that ends, is killed or loses its host frees it at once. The
connection's ``application_name`` says which host and process holds it, so a waiting loop can say so.

SQLite: the same with a lock file per dataset beside the datasets file (``fcntl.flock``, also freed
when its process ends), holding the holder's host and process id.

A second loop waits, says once which host holds the lock, and takes over when it is free."""
from __future__ import annotations

import hashlib
import os
import socket
import time

from . import database
from .connection import made_data_dir
from .errors import StoreError, check_name

HOLDER_WAIT_S = 1.0                     # how long a waiting loop gives a new holder to write its name
LOCK_FILE = "sync-{name}.lock"          # beside the datasets file, one per dataset


def lock_key(name: str, what: str = "sync --every") -> int:
    """The advisory-lock key (a signed 64-bit number) of dataset ``name``'s sync loop (or of another
    loop, ``what``: "schedule")."""
    digest = hashlib.sha256(f"metrics {what} {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder_name(what: str = "sync --every") -> str:
    """This process in words, as another host's waiting loop reports it (at most 63 characters:
    PostgreSQL's ``application_name``)."""
    return f"{what} on {socket.gethostname()[:30]} pid {os.getpid()}"


class SyncLoopLock:
    """The right to sync ``names`` (dataset names) in a loop, held by one process at a time.
    ``take()`` tries once; ``release()`` gives it up (so does the process's end)."""

    what = "sync --every"               # the loop, in the lock's key, its holder's name and the sentences
    file = LOCK_FILE                    # the lock file of each name (SQLite)

    def __init__(self, names):
        self.names = sorted({check_name(n) for n in names})
        self._held = None               # the dedicated PostgreSQL connection, or the open lock files

    @property
    def held(self) -> bool:
        """Whether this process holds the lock now (PostgreSQL: its connection still answers)."""
        if self._held is None:
            return False
        if isinstance(self._held, list):
            return True
        try:
            self._held.execute("SELECT 1").fetchone()
            return True
        except Exception:
            self.release()              # the connection is gone, and the lock with it
            return False

    def take(self) -> str:
        """Take the lock of every dataset: "" when this process holds it (now or already), else the
        sentence saying who holds one of them. A store that cannot be reached is a StoreError."""
        if self.held:
            return ""
        db = database.configured()
        return self._take_postgres(db) if db is not None else self._take_files()

    def release(self) -> None:
        """Give the lock up (nothing when it is not held)."""
        held, self._held = self._held, None
        if held is None:
            return
        if isinstance(held, list):
            for fd in held:
                os.close(fd)            # closing the file frees its flock
        else:
            try:
                held.close()            # the session ends: PostgreSQL frees its advisory locks
            except Exception:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def _waiting(self, name: str, holder: str) -> str:
        return (f"another {self.what} holds dataset {name!r} ({holder or 'holder unknown'}): "
                f"this one waits and takes over when it stops")

    def _take_postgres(self, db) -> str:
        import psycopg
        from .postgres.connection import explain
        try:
            con = psycopg.connect(**{**db.connect_arguments(), "application_name": holder_name(self.what)}, autocommit=True)
        except psycopg.Error as e:
            raise explain(e, db) from None
        try:
            for taken, name in enumerate(self.names):
                key = lock_key(name, self.what)
                if not con.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                    found = con.execute(
                        "SELECT a.application_name, host(a.client_addr) FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.objsubid = 1 AND l.classid::bigint = %s AND l.objid::bigint = %s",
                        ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)).fetchone()
                    con.close()         # the locks taken so far go with the session
                    holder = ""
                    if found:
                        holder = (found[0] or "another program") + (f", from {found[1]}" if found[1] else "")
                    return self._waiting(name, holder)
        except psycopg.Error as e:
            con.close()
            raise explain(e, db) from None
        self._held = con
        return ""

    def _take_files(self) -> str:
        import fcntl
        directory = made_data_dir()
        opened = []
        try:
            for name in self.names:
                path = directory / self.file.format(name=name)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    try:
                        holder = _holder_in(fd)
                    finally:
                        os.close(fd)
                    return self._waiting(name, holder)
                opened.append(fd)
                said = holder_name(self.what).encode()
                os.pwrite(fd, said, 0)                  # written, then cut to it: never read empty
                os.ftruncate(fd, len(said))
        except OSError as e:
            raise StoreError(f"cannot use the {self.what.split()[0]} lock file in {directory} ({e.strerror}); "
                             f"make the directory writable or set METRICS_DATA_DIR") from None
        finally:
            if len(opened) < len(self.names):
                for fd in opened:
                    os.close(fd)
        self._held = opened
        return ""


class SchedulerLock(SyncLoopLock):
    """The right to run ``python -m metrics schedule`` on this store, held by one process at a time
    (the same lock as ``SyncLoopLock``'s, under a name of its own)."""

    what = "schedule"
    file = "schedule.lock"

    def __init__(self):
        self.names = ["schedule"]
        self._held = None

    def _waiting(self, name: str, holder: str) -> str:
        return (f"another python -m metrics schedule runs on this store ({holder or 'holder unknown'}): "
                f"this one waits and takes over when it stops")


def _holder_in(fd: int) -> str:
    """Who holds a lock file (its text), waiting up to ``HOLDER_WAIT_S`` for a holder that has just
    taken the lock to write its name ("" if it does not)."""
    deadline = time.monotonic() + HOLDER_WAIT_S
    while True:
        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if holder or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)
