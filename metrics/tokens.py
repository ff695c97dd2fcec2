"""Read-only API tokens: for tools (Backstage, spreadsheets, chat bots) that read ``/api/v1/...``.

``python -m metrics tokens create NAME`` prints a new token once; only its SHA-256 is kept, in
``api-tokens.json`` beside the datasets (``METRICS_TOKENS_FILE`` moves it; on a PostgreSQL store
without it, the database's ``api-tokens`` document, for every host: ``private_store``). A token is 32 random
bytes, so a fast hash is enough (there is nothing to guess); it is compared in constant time. A
token reads; it never writes, but for an *editor* token (``tokens create NAME --role editor``),
which may also add annotations (``POST /api/v1/annotations``) and nothing else.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from . import private_store

ROLES = ("viewer", "editor")       # a token's role: a viewer token reads; an editor token may also annotate
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PREFIX = "mtr_"                    # so a leaked token is recognisable in a scan
WHAT = "the API tokens file"


class TokenError(Exception):
    """A token operation that cannot be done: one sentence."""


def tokens_path(data_dir: Path) -> "Path | private_store.InDatabase":
    """Where the tokens are: ``METRICS_TOKENS_FILE``, else the PostgreSQL store's ``api-tokens``
    document, else ``api-tokens.json`` in the data directory."""
    return private_store.place("METRICS_TOKENS_FILE", data_dir, "api-tokens.json", "api-tokens")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict:
    return _checked(private_store.read(path, WHAT, TokenError), path)


def _checked(data, path) -> dict:
    if not isinstance(data, dict) or not all(isinstance(v, dict) and isinstance(v.get("sha256"), str)
                                             for v in data.values()):
        raise TokenError(f"{private_store.described(path, WHAT)} is not a tokens file; fix or remove it")
    return data


def _edit(path: Path, change) -> None:
    """Apply ``change(dict)`` to the stored tokens and keep the result (one write transaction in
    the database: an edit on another host at the same moment is not lost)."""
    private_store.edit(path, change, WHAT, TokenError, lambda data: _checked(data, path))


def create(path: Path, name: str, role: str = "viewer") -> str:
    """A new token named ``name`` of ``role`` (``ROLES``; printed once, never stored in clear)."""
    if not isinstance(name, str) or not TOKEN_NAME.fullmatch(name):
        raise TokenError(f"token names are 1-64 letters, digits, '.', '_' or '-'; got {name!r}")
    if role not in ROLES:
        raise TokenError(f"a token's role is {' or '.join(ROLES)}; got {role!r}")
    token = PREFIX + secrets.token_urlsafe(32)

    def created(data):
        if name in data:
            raise TokenError(f"a token named {name!r} exists; revoke it first (python -m metrics tokens revoke {name})")
        data[name] = {"sha256": _digest(token), "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      **({"role": role} if role != "viewer" else {})}
    _edit(path, created)
    return token


def revoke(path: Path, name: str) -> None:
    """Remove the token named ``name``."""
    def revoked(data):
        if name not in data:
            raise TokenError(f"no token named {name!r}")
        del data[name]
    _edit(path, revoked)


def names(path: Path) -> list[tuple[str, str]]:
    """(name, created) of every token."""
    return sorted((n, v.get("created", "")) for n, v in _read(path).items())


def bearer_of(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer TOKEN`` header ("" when there is none)."""
    value = authorization or ""
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


def check(path: Path, token: str) -> str | None:
    """The name of the token ``token`` is, or None; every stored digest is compared in constant time."""
    found = holder(path, token)
    return found[0] if found else None


def holder(path: Path, token: str) -> tuple[str, str] | None:
    """(name, role) of the token ``token`` is (role "viewer" for a token created without one), or
    None; every stored digest is compared in constant time."""
    if not isinstance(token, str) or not token.startswith(PREFIX):
        return None
    try:
        data = _read(path)
    except TokenError:
        return None
    digest = _digest(token)
    found = None
    for name, entry in data.items():
        if hmac.compare_digest(entry["sha256"], digest):
            found = (name, entry.get("role", "viewer") if entry.get("role") in ROLES else "viewer")
    return found
