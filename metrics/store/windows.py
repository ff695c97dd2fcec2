"""A view's reads of a stored dataset: the rows one window needs (``load_window``) and the facts of the
whole dataset (``dataset_facts``). On PostgreSQL these read only those rows (``postgres/window.py``,
the rule in ``metrics.reach``); on SQLite the dataset is loaded whole, as ``load_tables`` does (a
SQLite dataset is a few compressed segments: reading them whole is its fast path, and the
dashboard keeps them per version)."""
from __future__ import annotations

from .. import tables as t
from ..reach import DatasetFacts, Reach, facts_of
from . import database
from .connection import reading
from .datasets import load_tables, tables_of
from .errors import check_name, no_dataset


def reads_windows() -> bool:
    """Whether the store reads a window's rows alone (PostgreSQL), not whole datasets (SQLite)."""
    return database.configured() is not None


def load_window(name: str, reach: Reach) -> t.EventTables:
    """The tables of the events of dataset ``name`` a view needs (``metrics.reach.reach`` of its
    window): on PostgreSQL only those rows, on SQLite the whole dataset (``load_tables``). Either
    way ``analyze`` gives every number of the window and its previous period as from the whole."""
    if not reads_windows():
        return load_tables(name)
    check_name(name)
    from .postgres.window import exists, read_window
    with reading() as con:
        if not exists(con, name):
            raise no_dataset(name)
        columns = read_window(con, name, reach)
    return tables_of(columns)


def dataset_facts(name: str) -> DatasetFacts:
    """The facts of dataset ``name`` a view shows (time span, services, kinds held): on PostgreSQL by
    a few index probes, on SQLite from the whole dataset."""
    if not reads_windows():
        return facts_of(load_tables(name))
    check_name(name)
    from .postgres.window import exists, read_facts
    with reading() as con:
        if not exists(con, name):
            raise no_dataset(name)
        return read_facts(con, name)
