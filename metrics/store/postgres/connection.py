"""Connections to the PostgreSQL database: a pool per server process (SQLAlchemy's, of psycopg 3
connections), the schema brought to this version once per process (``schema_version``), every
failure as one ``StoreError`` sentence naming the host and database (never the password), and the
write and read transactions.

A write transaction first takes one transaction-level advisory lock (``WRITE_LOCK``), so writes
from every host are serialised as SQLite's ``BEGIN IMMEDIATE`` serialises them on one host: a
merge reads what is stored and adds to it with nothing written in between."""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager

from ... import defaults
from ..database import Database, pool_size
from ..errors import Refused, StoreError, StoreFull

WRITE_LOCK = 0x4D545243_0001            # pg_advisory_xact_lock key of every write ("MTRC", 1)
UPGRADE_LOCK = 0x4D545243_0002          # taken while the schema is brought to this version

_ENGINES: dict = {}                     # (pid, database) -> (SQLAlchemy engine, its password): a forked worker makes its own
_LOCK = threading.Lock()
# the driver's and the pool's own warnings (a COPY cut by a lost connection) go to the application's
# log when it has one, never to a command's terminal beside its one sentence
for _name in ("psycopg", "sqlalchemy.pool"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


class Connection:
    """A psycopg connection that takes the SQLite module's statements: ``?`` placeholders become
    ``%s``, ``execute`` returns the cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
    dialect = "postgresql"

    def __init__(self, raw):
        self.raw = raw                  # the psycopg connection (COPY, binary reads)

    def execute(self, sql: str, params=()):
        """Run one statement (``?`` placeholders, as SQLite's) and return its cursor."""
        return self.raw.execute(sql.replace("%", "%%").replace("?", "%s") if params else sql, params or None)

    def executemany(self, sql: str, rows):
        """Run one statement (``?`` placeholders) once for each of ``rows``."""
        with self.raw.cursor() as cursor:
            cursor.executemany(sql.replace("%", "%%").replace("?", "%s"), rows)


def explain(error: Exception, db: Database) -> StoreError:
    """A psycopg failure as one sentence naming the database (never its password)."""
    import psycopg
    text = str(error).replace(db.password, "***") if db.password else str(error)
    low = text.lower()
    where = db.where()
    if isinstance(error, psycopg.errors.DiskFull) or "no space left" in low or "could not extend file" in low:
        return StoreFull(f"the disk of {where} is full: nothing was stored; free some space and try again")
    if "password authentication failed" in low or "no password supplied" in low:
        return StoreError(f"{where} refused the password of user {db.user!r} (check METRICS_DATABASE_URL "
                          f"or METRICS_DATABASE_PASSWORD_FILE)")
    if "does not exist" in low and "database" in low:
        return StoreError(f"{where} does not exist: create it (createdb -h {db.host} -p {db.port} "
                          f"-U {db.user} {db.name}) or fix METRICS_DATABASE_URL")
    if "role" in low and "does not exist" in low:
        return StoreError(f"{where} has no user {db.user!r}: create it or fix METRICS_DATABASE_URL")
    if "pg_hba.conf" in low or "ssl" in low:
        return StoreError(f"{where} refused the connection ({text.strip().splitlines()[0]})")
    if isinstance(error, psycopg.OperationalError):
        first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        return StoreError(f"cannot reach {where} ({first}); nothing of the operation under way was stored: "
                          f"check that the server runs and answers, then try again")
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return StoreError(f"{where} cannot be used ({first})")


def _new_engine(db: Database):
    import psycopg
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    arguments = db.connect_arguments()

    def connect():
        return psycopg.connect(**arguments)

    size = pool_size()
    engine = create_engine("postgresql+psycopg://", creator=connect, poolclass=QueuePool, pool_size=size,
                           max_overflow=size, pool_timeout=defaults.DATABASE_CONNECT_TIMEOUT_S * 6,
                           pool_pre_ping=True, pool_reset_on_return="rollback")

    @event.listens_for(engine, "connect")
    def _check_server(raw, _record):
        check_server_version(raw.info.server_version, db)
    return engine


def check_server_version(version: int, db: Database) -> None:
    """Refuse a server older than ``defaults.MIN_POSTGRES`` by name; ``version`` is libpq's number
    (150018 is 15.18; before 10, 90624 is 9.6.24)."""
    if version >= defaults.MIN_POSTGRES * 10000:
        return
    name = f"{version // 10000}.{version % 10000}" if version >= 100000 else f"{version // 10000}.{version // 100 % 100}"
    raise Refused(f"{db.where()} runs PostgreSQL {name}, older than {defaults.MIN_POSTGRES}, "
                     f"the oldest this product runs on: upgrade the server")


def engine(db: Database):
    """This process's engine (its pool of connections) for ``db``, the schema made current on first
    use. Kept by the database (host, port, name, user, options), not its password: a new password
    (``METRICS_DATABASE_PASSWORD_FILE`` rotated) replaces the pool, whose connections are closed."""
    key = (os.getpid(), db.host, db.port, db.name, db.user, db.options)
    found = _ENGINES.get(key)
    if found is not None and found[1] == db.password:
        return found[0]
    with _LOCK:
        found = _ENGINES.get(key)
        if found is None or found[1] != db.password:
            made = _new_engine(db)
            try:
                from .. import schema_version
                schema_version.make_current(made, db)
            except StoreError:
                made.dispose()
                raise
            except Exception as e:
                made.dispose()
                raise explain(getattr(e, "orig", None) or e, db) from None
            for old in [k for k in _ENGINES if k[0] != os.getpid()]:
                _ENGINES.pop(old)               # a parent's engine: its connections are the parent's
            if found is not None:
                found[0].dispose()              # the pool of the previous password
            _ENGINES[key] = (made, db.password)
    return _ENGINES[key][0]


def forget_engines() -> None:
    """Close every pool of this process (tests; a database replaced under the process)."""
    with _LOCK:
        for made, _ in _ENGINES.values():
            made.dispose()
        _ENGINES.clear()


@contextmanager
def _checked_out(db: Database):
    import psycopg
    from sqlalchemy import exc
    try:
        pooled = engine(db).raw_connection()
    except exc.DBAPIError as e:
        raise explain(e.orig if e.orig is not None else e, db) from None
    except exc.TimeoutError:
        raise StoreError(f"every connection to {db.where()} stayed busy for too long "
                         f"(METRICS_DATABASE_POOL); try again") from None
    except psycopg.Error as e:
        raise explain(e, db) from None
    try:
        yield pooled
    finally:
        try:
            raw = pooled.driver_connection
            if raw is None or raw.closed or raw.broken:
                pooled.invalidate()                 # the server went away: dropped, never reset (no log noise)
            pooled.close()                          # back to the pool (rolled back there)
        except Exception:
            pass


@contextmanager
def _transaction(db: Database, *first: str, end: str):
    """A pooled connection in a transaction begun by the ``first`` statements, ended by ``end``
    ("commit" or "rollback") when the block ends, rolled back if it raises; every psycopg failure
    as one sentence (``explain``)."""
    import psycopg
    with _checked_out(db) as pooled:
        raw = pooled.driver_connection
        try:
            for statement in first:
                raw.execute(statement)
            yield Connection(raw)
            getattr(raw, end)()
        except psycopg.errors.LockNotAvailable:
            _rollback(raw)
            raise StoreError(f"another write to {db.where()} stayed under way for more than "
                             f"{defaults.STORE_LOCK_WAIT_S} s: nothing was stored; try again") from None
        except psycopg.Error as e:
            _rollback(raw)
            raise explain(e, db) from None
        except BaseException:
            _rollback(raw)
            raise


@contextmanager
def writing(db: Database):
    """A connection in a write transaction that holds ``WRITE_LOCK`` (waiting for it at most
    ``defaults.STORE_LOCK_WAIT_S``, as SQLite's writers wait): committed when the block ends, rolled
    back if it raises (or if the server goes away: nothing of it is kept)."""
    with _transaction(db, f"SET LOCAL lock_timeout = '{int(defaults.STORE_LOCK_WAIT_S)}s'",
                      f"SELECT pg_advisory_xact_lock({WRITE_LOCK})", end="commit") as con:
        yield con


@contextmanager
def reading(db: Database):
    """A connection in a read-only transaction that sees one state of the database throughout."""
    with _transaction(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", end="rollback") as con:
        yield con


def _rollback(raw) -> None:
    try:
        raw.rollback()
    except Exception:
        pass


def ping(db: Database) -> str:
    """"" when the database answers a query now, else the sentence saying why not: one ``SELECT 1``
    on a pooled connection (the health check; a connection the server dropped is replaced)."""
    import psycopg
    try:
        with _checked_out(db) as pooled:
            pooled.driver_connection.execute("SELECT 1").fetchone()
    except StoreError as e:
        return str(e)
    except psycopg.Error as e:
        return str(explain(e, db))
    return ""
