"""Which database the store uses: the SQLite file under the data directory (the default), or the
PostgreSQL server that ``METRICS_DATABASE_URL`` names (the password may come from
``METRICS_DATABASE_PASSWORD_FILE``). Every sentence about the server names its host and database,
never its password."""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .. import defaults
from .errors import Refused, StoreError

URL_SETTING = "METRICS_DATABASE_URL"
PASSWORD_FILE_SETTING = "METRICS_DATABASE_PASSWORD_FILE"
POOL_SETTING = "METRICS_DATABASE_POOL"
SCHEMES = ("postgresql", "postgres")
# what may follow ``?`` in the URL (libpq's connection parameters that make sense here)
OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "connect_timeout", "application_name",
           "target_session_attrs", "options")
FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]"


@dataclass(frozen=True)
class Database:
    """A PostgreSQL server's database, as ``METRICS_DATABASE_URL`` names it."""
    host: str
    port: int
    name: str
    user: str
    password: str = ""
    options: tuple = ()                 # (key, value) pairs from the URL's query

    def __repr__(self) -> str:          # never the password
        return f"Database({self.where()})"

    def where(self) -> str:
        """The database in words, for every sentence about it: ``database D on HOST:PORT``."""
        return f"PostgreSQL database {self.name!r} on {self.host}:{self.port}"

    def url(self, driver: str = "postgresql") -> str:
        """The full URL (with the password: for the driver only, never shown)."""
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.options)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{driver}://{auth}@{host}:{self.port}/{quote(self.name, safe='')}" + (f"?{query}" if query else "")

    def connect_arguments(self) -> dict:
        """Keyword arguments for ``psycopg.connect``: the parts, the options, a connection timeout."""
        arguments = dict(host=self.host, port=self.port, dbname=self.name, user=self.user,
                         connect_timeout=defaults.DATABASE_CONNECT_TIMEOUT_S, application_name="metrics-dashboard")
        if self.password:
            arguments["password"] = self.password
        arguments.update(self.options)
        # no JIT compilation: it costs seconds for the large reads here, more than running them
        arguments["options"] = f"-c jit=off {arguments.get('options', '')}".strip()
        return arguments


def _refuse(problem: str, what: str = URL_SETTING) -> Refused:
    return Refused(f"{what} {problem}; the form is {FORM}")


def parse(url: str, password_file: str | None = None, what: str = URL_SETTING) -> Database:
    """The ``Database`` a URL names (a StoreError sentence, without the password, when it names
    none; ``what`` says where the URL came from: the setting, or ``db copy``'s option); the
    password from ``password_file`` when the URL has none."""
    text = url.strip()
    after = text.split("://", 1)[1] if "://" in text else ""
    host_end = min([after.find(c) for c in "/?#" if c in after] or [len(after)])
    if "@" in after[host_end:]:         # a password holding '/', '?' or '#': the parts cannot be told (never shown)
        raise _refuse("has an '@' after a '/', '?' or '#' (in a password, write '@' as %40, '/' as %2F, "
                      "'?' as %3F and '#' as %23)", what)
    try:
        parts = urlsplit(text)
        port = parts.port or 5432
    except ValueError:
        raise _refuse("is not a URL with a valid port", what) from None
    if parts.scheme not in SCHEMES:
        raise _refuse(f"must start with postgresql:// (it starts with {parts.scheme + '://' if parts.scheme else 'no scheme'})", what)
    if not parts.hostname:
        raise _refuse("names no host", what)
    if "//" in parts.path or "/" in parts.path.lstrip("/"):
        raise _refuse(f"names a database with a '/' on {parts.hostname}:{port}", what)
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise _refuse(f"names no database on {parts.hostname}:{port}", what)
    if not parts.username:
        raise _refuse(f"names no user for database {name!r} on {parts.hostname}:{port}", what)
    options = tuple(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted({k for k, _ in options} - set(OPTIONS))
    if unknown:
        raise _refuse(f"has options this product does not pass on ({', '.join(unknown)}; "
                      f"it takes {', '.join(OPTIONS)}) for database {name!r} on {parts.hostname}:{port}", what)
    password = unquote(parts.password) if parts.password is not None else ""
    if not password and password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as e:
            raise Refused(f"cannot read the password of database {name!r} on {parts.hostname}:{port} from "
                             f"{PASSWORD_FILE_SETTING} ({password_file}: {getattr(e, 'strerror', None) or e})") from None
    return Database(parts.hostname, port, name, unquote(parts.username), password, options)


_CHOSEN: ContextVar = ContextVar("store_database", default=None)    # ``use``'s choice, in this context
SQLITE = "sqlite"                      # ``use(SQLITE)``: the SQLite file, whatever the setting says


def configured() -> Database | None:
    """The PostgreSQL database the store uses (``METRICS_DATABASE_URL``, or what ``use`` chose in
    this context), or None: the SQLite file."""
    chosen = _CHOSEN.get()
    if chosen is not None:
        return None if chosen == SQLITE else chosen
    url = os.environ.get(URL_SETTING, "").strip()
    return parse(url, os.environ.get(PASSWORD_FILE_SETTING) or None) if url else None


@contextmanager
def use(target: "Database | str"):
    """Inside the block (this thread or task only), the store is ``target``: a ``Database``, or
    ``SQLITE`` for the file under the data directory (``db copy`` reads one and writes the other)."""
    token = _CHOSEN.set(target)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def pool_size() -> int:
    """The connections each server process keeps open to PostgreSQL (``METRICS_DATABASE_POOL``,
    default ``defaults.DATABASE_POOL``)."""
    text = os.environ.get(POOL_SETTING, "").strip()
    if not text:
        return defaults.DATABASE_POOL
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise Refused(f"{POOL_SETTING} is the number of connections a server process keeps, 1 to 100; got {text[:20]!r}")
    return int(text)
