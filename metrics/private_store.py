"""Where the private JSON documents (users, API tokens: digests of secrets) are kept, and reading
and editing them there: a file of their own (``settings_files``: mode 0600, written atomically),
or, with ``METRICS_DATABASE_URL`` set and no file setting of their own (``METRICS_USERS_FILE``,
``METRICS_TOKENS_FILE``), the shared PostgreSQL database's ``documents`` table, so every host sees
the same users and tokens. The store is imported only when a document is in the database."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .settings_files import file_token, read_private_json, write_private_json


@dataclass(frozen=True)
class InDatabase:
    """A private document kept in the store's PostgreSQL database under ``name``."""
    name: str                   # "users", "api-tokens"

    def __str__(self) -> str:
        from . import store
        try:
            where = store.where()
        except store.StoreError:
            where = "the database METRICS_DATABASE_URL names"
        return f"{where} (its {self.name} document)"


def place(setting: str, data_dir, file_name: str, document: str) -> "Path | InDatabase":
    """Where a private document is: the file ``setting`` names, else the database when the store
    is PostgreSQL, else ``file_name`` in the data directory."""
    named = os.environ.get(setting)
    if named:
        return Path(named)
    from .store import StoreError, database
    try:
        in_database = database.configured() is not None
    except StoreError:              # a malformed URL: the database was meant; reading it says what is wrong
        in_database = True
    return InDatabase(document) if in_database else Path(data_dir) / file_name


def described(where, what: str) -> str:
    """The document in words: ``what`` and the file's path, or the database's document."""
    return str(where) if isinstance(where, InDatabase) else f"{what} {where}"


def read(where, what: str, error: type[Exception]):
    """The document's JSON ({} when there is none yet; the caller checks its shape); ``error``
    naming it when it cannot be read or is not JSON."""
    if not isinstance(where, InDatabase):
        return read_private_json(where, what, error)
    from . import store
    try:
        body, _ = store.read_document(where.name)
    except store.StoreError as e:
        raise error(f"cannot read the {where.name} document: {e}") from None
    return _parsed(body, where, error)


def edit(where, change: Callable[[dict], None], what: str, error: type[Exception],
         check: Callable[[object], dict]) -> None:
    """Read the document, ``check`` its shape, ``change`` it in place (either may raise ``error``:
    nothing is written) and write it back; in the database in one write transaction, so an edit on
    another host at the same moment is never lost."""
    def changed(data):
        data = check(data)
        change(data)
        return data
    if not isinstance(where, InDatabase):
        write_private_json(where, changed(read_private_json(where, what, error)), what, error)
        return
    from . import store
    try:
        store.edit_document(where.name, lambda body: json.dumps(changed(_parsed(body, where, error)),
                                                                indent=1, sort_keys=True))
    except store.StoreError as e:
        raise error(f"cannot write the {where.name} document: {e}") from None


def token(where) -> tuple:
    """A token that changes when the document changes (the file's ``file_token``, the database
    document's ``updated_ns``); caches key on it."""
    if not isinstance(where, InDatabase):
        return file_token(where)
    from . import store
    try:
        return str(where), store.document_version(where.name)
    except store.StoreError:
        return str(where), None         # unreadable: never equal to a token of a read document


def _parsed(body: str | None, where: InDatabase, error: type[Exception]):
    if body is None:
        return {}
    try:
        return json.loads(body)
    except ValueError as e:
        raise error(f"cannot read {where} ({e}); fix or remove it") from None
