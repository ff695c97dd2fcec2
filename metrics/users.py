"""Dashboard users for ``METRICS_AUTH=basic``: names, roles and slow, salted password hashes.

``python -m metrics users add NAME --role viewer|editor [--password-stdin]``, ``users list``,
``users remove NAME``, ``users set-role NAME ROLE``, ``users set-password NAME``, ``users sign-out NAME``
(every session of the user ends: the sessions are kept in the store, ``store.begin_session``). The file is ``users.json`` in the data
directory (``METRICS_USERS_FILE`` moves it), written atomically with mode 0600; on a PostgreSQL
store (``METRICS_DATABASE_URL``, no ``METRICS_USERS_FILE``) the same JSON is the database's
``users`` document, for every host (``private_store``). Passwords are kept
as scrypt hashes (werkzeug's ``generate_password_hash``: a random salt per user, a deliberately slow
hash) and checked in constant time. Roles: a *viewer* reads everything; an *editor* also uploads,
imports and deletes datasets.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from . import defaults, private_store

ROLES = ("viewer", "editor")
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = defaults.MIN_PASSWORD, defaults.MAX_PASSWORD
HASH_METHOD = "scrypt"
# checked against when the user does not exist, so an unknown name costs the same time as a known one
DECOY_HASH = generate_password_hash("not a password of anyone", method=HASH_METHOD)


class UsersError(Exception):
    """A users-file operation that cannot be done: one sentence."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    stamp: str = ""     # changes when the password changes: a session from before is no longer valid


def users_path(data_dir: Path) -> "Path | private_store.InDatabase":
    """Where the users are: ``METRICS_USERS_FILE``, else the PostgreSQL store's ``users`` document,
    else ``users.json`` in the data directory."""
    return private_store.place("METRICS_USERS_FILE", data_dir, "users.json", "users")


def check_role(role: str) -> str:
    """``role`` when it is one of ROLES, else UsersError."""
    if role not in ROLES:
        raise UsersError(f"a role is {' or '.join(ROLES)}; got {role!r}")
    return role


def check_user_name(name: str) -> str:
    """``name`` when it is a valid user name, else UsersError."""
    if not isinstance(name, str) or not USER_NAME.fullmatch(name):
        raise UsersError(f"user names are 1-64 letters, digits, '.', '_', '@' or '-'; got {name!r}")
    return name


def check_password(password: str) -> str:
    """``password`` when it is long enough and not absurdly long, else UsersError."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UsersError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsersError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def read(path: Path) -> dict:
    """The users file as {name: {"hash", "role", "created"}}; {} when it does not exist."""
    return _checked(private_store.read(path, WHAT, UsersError), path)


def _checked(data, path) -> dict:
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("hash"), str) and v.get("role") in ROLES for v in data.values()):
        raise UsersError(f"{private_store.described(path, WHAT)} is not a users file; fix or remove it")
    return data


WHAT = "the users file"
_READ: dict[str, tuple] = {}     # path -> (file token, users): read again only when the file changes


def current(path: Path) -> dict:
    """``read``, from memory while the file is unchanged (every signed-in request looks its user
    up); not to be modified (``read`` gives a copy to change)."""
    token = private_store.token(path)
    seen = _READ.get(str(path))
    if seen is None or seen[0] != token:
        seen = _READ[str(path)] = (token, read(path))
    return seen[1]


def _edit_all(path: Path, change) -> None:
    """Apply ``change(dict)`` to the stored users and keep the result (one write transaction in
    the database: an edit on another host at the same moment is not lost)."""
    private_store.edit(path, change, WHAT, UsersError, lambda data: _checked(data, path))


def stamp_of(password_hash: str) -> str:
    """A short fingerprint of a password hash, kept in sessions so a new password signs old ones out."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def add(path: Path, name: str, role: str, password: str) -> None:
    """Add the user ``name`` with ``role``; ``password`` is stored only as a salted scrypt hash."""
    check_user_name(name)
    check_role(role)
    check_password(password)
    entry = {"hash": generate_password_hash(password, method=HASH_METHOD), "role": role,
             "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def added(data):
        if name in data:
            raise UsersError(f"a user named {name!r} exists (change the role: python -m metrics users set-role {name} ROLE)")
        data[name] = entry
    _edit_all(path, added)


def _edit(path: Path, name: str, change) -> None:
    """Apply ``change(users)`` to the stored users, which must hold ``name``, and keep the result."""
    def changed(data):
        if name not in data:
            raise UsersError(f"no user named {name!r}")
        change(data)
    _edit_all(path, changed)


def remove(path: Path, name: str) -> None:
    """Remove the user ``name`` (their sessions end with it)."""
    _edit(path, name, lambda data: data.pop(name))


def set_role(path: Path, name: str, role: str) -> None:
    """Give the user ``name`` the role ``role``."""
    check_role(role)
    _edit(path, name, lambda data: data[name].update(role=role))


def set_password(path: Path, name: str, password: str) -> None:
    """Give the user ``name`` a new password (their sessions from before end at their next request)."""
    check_password(password)
    hashed = generate_password_hash(password, method=HASH_METHOD)     # slow: before the write transaction
    _edit(path, name, lambda data: data[name].update(hash=hashed))


def listing(path: Path) -> list[tuple[str, str, str]]:
    """(name, role, created) of every user."""
    return sorted((n, v["role"], v.get("created", "")) for n, v in read(path).items())


def lookup(path: Path, name: str) -> User | None:
    """The user ``name`` with their current role and password stamp, or None."""
    entry = current(path).get(name) if isinstance(name, str) else None
    return None if entry is None else User(name, entry["role"], stamp_of(entry["hash"]))


def authenticate(path: Path, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None; an unknown name costs as long as a wrong password."""
    entry = current(path).get(name) if isinstance(name, str) else None
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        password = ""
    matches = check_password_hash(entry["hash"] if entry else DECOY_HASH, password)
    return User(name, entry["role"], stamp_of(entry["hash"])) if entry and matches else None
