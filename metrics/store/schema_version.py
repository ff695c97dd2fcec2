"""The database's schema version: Alembic revisions (``revisions/versions``, dated) run for both
backends, by ``python -m metrics db upgrade`` and on a process's first use of the database. A
database whose revision this code does not know (written by a newer version) is refused with one
sentence; it is never changed.

PostgreSQL: the first revision makes every table. SQLite: the file's earlier layouts are moved by
``migrations.set_up`` (its formats 1-6, each dated there); the first revision is the file as
format 6 leaves it, and the later ones change both backends."""
from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from .errors import Refused, StoreError

REVISIONS = Path(__file__).with_name("revisions")
# the newest revision this code knows, and every revision (oldest first): a test checks them against
# Alembic's own reading of ``REVISIONS`` (so the start of a process need not import Alembic)
KNOWN = ("20261207_0001", "20261207_0002", "20261207_0003", "20261207_0004")
HEAD = KNOWN[-1]
VERSION_TABLE = "alembic_version"
_UPGRADING: ContextVar = ContextVar("upgrading", default=False)     # ``upgrade`` opens an older file on purpose


def newer(revision: str, where: str) -> Refused:
    """The refusal of a database of a newer version's schema."""
    return Refused(f"{where} has schema revision {revision}, newer than this version of the product knows "
                      f"(up to {HEAD}): run the newer version, or restore a backup made for this one")


def config(connection):
    """An Alembic configuration that runs ``REVISIONS`` on ``connection`` (a SQLAlchemy connection)."""
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(REVISIONS))
    cfg.attributes["connection"] = connection
    return cfg


def make_current(engine, db) -> None:
    """Bring the PostgreSQL database to ``HEAD`` (under an advisory lock: hosts starting together
    upgrade it once), or refuse it: newer than this code, or another program's tables."""
    from sqlalchemy import text

    from .postgres.connection import UPGRADE_LOCK
    with engine.connect() as connection:
        revision = _postgres_revision(connection)
        if revision == HEAD:
            connection.rollback()
            return
        connection.rollback()
        with connection.begin():
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
            revision = _postgres_revision(connection)
            if revision is None:
                tables = connection.execute(text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                    "AND table_name IN ('datasets', 'events', 'audit') ORDER BY 1")).scalars().all()
                if tables:
                    raise Refused(f"{db.where()} holds tables named like this product's ({', '.join(tables)}) "
                                     f"that it did not make: use another database")
            elif revision not in KNOWN:
                raise newer(revision, db.where())
            if revision != HEAD:
                from alembic import command
                command.upgrade(config(connection), HEAD)


def _postgres_revision(connection) -> str | None:
    from sqlalchemy import text
    # the catalog as of this statement (``to_regclass`` may answer from a cache not yet told of a
    # table another host committed while this one waited for the upgrade lock)
    exists = connection.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                                     "AND table_name = :t"), {"t": VERSION_TABLE}).scalar()
    if exists is None:
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def sqlite_revision(con) -> str | None:
    """The revision a SQLite file records (None: none yet), by ``sqlite3`` alone."""
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)).fetchone() is None:
        return None
    row = con.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return row[0] if row else None


def stamp_sqlite(con, where: str) -> None:
    """Inside ``migrations.set_up``'s write transaction: a file without a revision is at the first
    one (format 6 is what it describes) and is marked so; a newer one is refused. (When a later
    revision changes SQLite files, this is where it runs.)"""
    revision = sqlite_revision(con)
    if revision is not None and revision not in KNOWN:
        raise newer(revision, where)
    if revision is None:
        con.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        con.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?)", (KNOWN[0],))
    if (revision or KNOWN[0]) != HEAD:
        # every later revision's SQLite part is tables ``migrations.TABLES`` has just made if missing
        # (``CREATE TABLE IF NOT EXISTS``): the file is at the head now
        con.execute(f"UPDATE {VERSION_TABLE} SET version_num = ?", (HEAD,))


def upgrade_sqlite(path: Path) -> str:
    """``db upgrade`` of a SQLite file: Alembic's upgrade to ``HEAD`` (after ``set_up`` moved the
    earlier layouts); the revision it is at."""
    from alembic import command
    from sqlalchemy import create_engine
    made = create_engine(f"sqlite:///{path}")
    try:
        with made.begin() as connection:
            command.upgrade(config(connection), HEAD)
    finally:
        made.dispose()
    return HEAD


def upgrade() -> tuple[str, str]:
    """``python -m metrics db upgrade``: the store (``METRICS_DATABASE_URL``'s database, or the
    SQLite file) brought to ``HEAD``; (the store in words, its revision now)."""
    from . import database
    from .connection import reading, store_path, where
    db = database.configured()
    token = _UPGRADING.set(True)
    try:
        with reading() as con:              # PostgreSQL: made current on first use; SQLite: set up and stamped
            if db is None:
                revision = sqlite_revision(con)
            else:
                revision = con.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()[0]
        if db is None:
            revision = upgrade_sqlite(store_path())
    finally:
        _UPGRADING.reset(token)
    return where(), revision


def health() -> str:
    """"" when the store answers now, else why not (one sentence). Cheap, for load balancers'
    polls: PostgreSQL, one ``SELECT 1`` on a pooled connection; SQLite, the file opens and answers."""
    from . import database
    from .connection import reading
    try:
        db = database.configured()
        if db is not None:
            from .postgres.connection import ping
            return ping(db)
        with reading() as con:
            con.execute("SELECT 1").fetchone()
    except StoreError as e:
        return str(e)
    return ""


def at_start() -> str:
    """A server's start: the store opened once (its schema made current); "" or the sentence saying
    it does not answer now (the server starts and /health says so until it does). A store it can
    never use (``Refused``: a newer schema, a bad setting) is raised: the server does not start."""
    from .connection import reading
    try:
        with reading() as con:
            con.execute("SELECT 1").fetchone()
    except Refused:
        raise
    except StoreError as e:
        return str(e)
    return ""
