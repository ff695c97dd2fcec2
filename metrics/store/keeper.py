"""Which module keeps a connection's events: ``segments`` (the SQLite file's immutable segments) or
``postgres.events`` (one row per event). Both offer the same calls, so ``merge``, ``datasets`` and
``integrity`` hold one merge, one load and one check for both backends:

- ``opened(con, name)``: a stored dataset as a write sees it (``Damaged`` when it cannot take one);
- ``stored_already(con, at, hashes)``: whether each row hash is a stored event's;
- ``stored_pairs(con, at, ids)``: the stored pairing events of those incident and PR ids;
- ``add(con, name, row, columns, hashed, progress)``: new events added, the dataset's row and generation updated;
- ``replace_all(con, name, columns, progress, keep_sync)``: the dataset becomes exactly these events;
- ``read_columns(con, name)`` / ``read(con, name)``: the events (``codec.to_columns``' form / the frame);
- ``clear(con, name, keep_sync)``: the dataset removed."""
from __future__ import annotations

from types import ModuleType


def events_keeper(con) -> ModuleType:
    """The module keeping events on ``con``'s backend (its ``dialect``)."""
    if getattr(con, "dialect", "sqlite") == "postgresql":
        from .postgres import events
        return events
    from . import segments
    return segments
