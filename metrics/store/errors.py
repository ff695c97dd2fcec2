"""The store's error (with the one kind a caller may tell apart: ``StoreFull``), and the check of the
dataset names every operation takes."""
from __future__ import annotations

import re

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class StoreError(Exception):
    """A dataset operation that cannot be done (bad name, unknown dataset, over the size limit, a
    store that cannot be read or written): one sentence."""


class StoreFull(StoreError):
    """The disk holding the datasets file is full: nothing was stored (a StoreError, so every writer
    that says StoreErrors says this one; an upload says it without the server's path)."""


def check_name(name: str) -> str:
    """``name`` if it is a valid dataset name (1-64 letters, digits, '.', '_' or '-'), else StoreError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise StoreError(f"dataset names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                         f"got {str(name)[:80]!r}")
    return name
