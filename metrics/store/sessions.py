"""The dashboard's sign-in sessions, kept in the store (the datasets file, or the PostgreSQL
database every host shares) so that every server process (each gunicorn worker, on any host) sees a
session end at once: a session's cookie carries a random id, and the store keeps only its SHA-256
(a copy of it signs no one in) with the user and when it began. The column ``user`` is quoted in
every statement: an unquoted ``user`` is the connected role's name in PostgreSQL."""
from __future__ import annotations

import hashlib
import secrets
import time

from .connection import kept_reading, reading, writing
from .trail import record

ID_BYTES = 32                           # random bytes in a session id (43 characters in the cookie)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def begin_session(user: str, lifetime_s: float) -> str:
    """A new session of ``user``: its id (for the cookie only). Sessions that began more than
    ``lifetime_s`` ago are forgotten at the same time (their cookies have expired)."""
    session_id = secrets.token_urlsafe(ID_BYTES)
    now = time.time_ns()
    with writing() as con:
        con.execute("DELETE FROM sessions WHERE started_ns < ?", (now - int(lifetime_s * 1e9),))
        con.execute("INSERT INTO sessions VALUES (?, ?, ?)", (_key(session_id), user, now))
    return session_id


def session_user(session_id: str) -> str | None:
    """The user whose live session ``session_id`` is, or None (ended, or never begun here): one
    lookup by primary key."""
    with kept_reading() as con:
        rows = con.execute('SELECT "user" FROM sessions WHERE id = ?', (_key(session_id),)).fetchall()
    return rows[0][0] if rows else None


def end_session(session_id: str) -> None:
    """End one session (sign-out): every copy of its cookie is refused from now on."""
    with writing() as con:
        con.execute("DELETE FROM sessions WHERE id = ?", (_key(session_id),))


def end_sessions(user: str, who: str | None = None) -> int:
    """End every session of ``user`` (sign out everywhere) and record it in the audit trail, in one
    transaction; how many were ended."""
    with writing() as con:
        ended = con.execute('DELETE FROM sessions WHERE "user" = ?', (user,)).rowcount
        record(con, who, "user sign-out", "", 0, f"{user} ({ended} session{'' if ended == 1 else 's'} ended)")
    return ended


def user_has_sessions(user: str) -> bool:
    """Whether ``user`` has a session kept here (an OpenID user is known only by their sessions)."""
    with reading() as con:
        return con.execute('SELECT 1 FROM sessions WHERE "user" = ? LIMIT 1', (user,)).fetchone() is not None
