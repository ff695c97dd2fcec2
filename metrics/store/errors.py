"""The store's error (with the one kind a caller may tell apart: ``StoreFull``), and the check of the
dataset names every operation takes."""
from __future__ import annotations

import re

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class StoreError(Exception):
    """A dataset operation that cannot be done (bad name, unknown dataset, over the size limit, a
    store that cannot be read or written): one sentence."""


class Refused(StoreError):
    """A store this version can never use as it is, whatever the moment (a database setting that
    names no database, a schema newer than the code, an older server, another program's tables): a
    server refuses to start on it, where a database that does not answer now only fails /health."""


class StoreFull(StoreError):
    """The disk holding the datasets file is full: nothing was stored (a StoreError, so every writer
    that says StoreErrors says this one; an upload says it without the server's path)."""


def no_dataset(name: str) -> StoreError:
    """The error of an operation on a dataset that is not stored."""
    return StoreError(f"no dataset named {name!r} (see: python -m metrics datasets)")


def check_name(name: str) -> str:
    """``name`` if it is a valid dataset name (1-64 letters, digits, '.', '_' or '-'), else StoreError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise StoreError(f"dataset names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                         f"got {str(name)[:80]!r}")
    return name


REPAIR = "python -m metrics datasets --check --repair"     # the command that drops damaged segments


class Damaged(StoreError):
    """A dataset whose stored data is damaged inside a readable file (a BLOB overwritten, cut or
    missing, a count that disagrees): which dataset, which segment (None: the dataset's own row) and
    what is wrong, as one sentence pointing to ``REPAIR``."""

    def __init__(self, dataset: str, segment: int | None, problem: str):
        self.dataset, self.segment, self.problem = dataset, segment, problem
        where = f"segment {segment}: {problem}" if segment is not None else problem
        super().__init__(f"dataset {dataset!r} is damaged ({where}), so it can be neither read nor added to: "
                         f"{REPAIR} repairs it (a segment whose data is damaged is dropped, its events lost unless you "
                         f"import them again)")
