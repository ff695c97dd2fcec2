"""The columnar copy of a dataset's events in PostgreSQL (table ``event_chunks``, revision
20261207_0003), read instead of the ``events`` rows: a whole load fetches a few large values, not
one row an event, and a window fetches only the chunks whose time span reaches into it.

Every write to the ``events`` table writes the same events here in the same transaction: a chunk
holds up to ``CHUNK_EVENTS`` events of one write, sorted by time, as one Arrow IPC file (zstd;
``SCHEMA``: ``ts_ns``, ``metric_value``, each text column dictionary-encoded, ``row_hash``), with
its first and last event time. Past ``MAX_SMALL_CHUNKS`` chunks of fewer than
``SMALL_CHUNK_EVENTS`` events (the many small writes of webhooks and syncs), a write joins them
into full ones. A dataset stored before the chunks existed (``datasets.chunked`` false) is read
from its rows until its next write makes its chunks (``ensure``).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from ..codec import TEXT_COLUMNS, row_hashes

CHUNK_EVENTS = 131_072                  # events a chunk holds at most
SMALL_CHUNK_EVENTS = CHUNK_EVENTS // 8  # a chunk this small is joined with others ...
MAX_SMALL_CHUNKS = 32                   # ... when a dataset has more than this many
WRITE_OPTIONS = ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=1))
# the memory the reads' Arrow arrays take: the C library's allocator, not Arrow's default (mimalloc), which
# took twice its time for a first 30-day view of 10M events (2.0 s against 1.15 s; 0.9 against 0.8 s warm)
READ_POOL = pa.system_memory_pool()
SCHEMA = pa.schema([("ts_ns", pa.int64()), ("metric_value", pa.float64())]
                   + [(c, pa.dictionary(pa.int32(), pa.string())) for c in TEXT_COLUMNS] + [("row_hash", pa.int64())])
INSERT = "INSERT INTO event_chunks VALUES (%s, %s, %s, %s, %s, %s)"


def arrow_of(columns: dict, hashed: np.ndarray | None = None) -> pa.Table:
    """Events (``codec.to_columns``' arrays; ``hashed`` their row hashes or None) as a table of ``SCHEMA``."""
    hashed = row_hashes(columns) if hashed is None else hashed
    return pa.table({
        "ts_ns": pa.array(columns["ts"], type=pa.int64()),
        "metric_value": pa.array(columns["metric_value"], type=pa.float64(), from_pandas=True),     # NaN: null
        **{c: pa.DictionaryArray.from_arrays(pa.array(columns[c][0], type=pa.int32()),
                                             pa.array(columns[c][1], type=pa.string())) for c in TEXT_COLUMNS},
        "row_hash": pa.array(hashed, type=pa.int64())}, schema=SCHEMA)


def compacted(table: pa.Table) -> pa.Table:
    """``table`` (one chunk of ``SCHEMA``) with each text column's dictionary cut to the texts its
    rows use (in the dictionary's order): a slice of a larger write otherwise keeps the whole
    write's dictionary, and every chunk of it would carry (and every read decode) all its texts."""
    out = []
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            used, codes = np.unique(array.indices.to_numpy(zero_copy_only=False), return_inverse=True)
            column = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32, copy=False), type=pa.int32()),
                                                    array.dictionary.take(pa.array(used, type=pa.int32())))
        out.append(column)
    return pa.table(out, schema=SCHEMA)


def _file(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, SCHEMA, options=WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _table(data) -> pa.Table:
    return ipc.open_file(pa.py_buffer(data), memory_pool=READ_POOL).read_all()


def write(con, name: str, table: pa.Table) -> None:
    """Store the events of ``table`` (``SCHEMA``) as new chunks of dataset ``name``, sorted by
    time, ``CHUNK_EVENTS`` a chunk; then join the small chunks if there are too many."""
    if not table.num_rows:
        return
    table = table.sort_by([("ts_ns", "ascending"), ("row_hash", "ascending")])
    after = con.execute("SELECT coalesce(max(chunk), 0) FROM event_chunks WHERE dataset = ?", (name,)).fetchone()[0]
    rows = []
    for number, start in enumerate(range(0, table.num_rows, CHUNK_EVENTS), start=after + 1):
        part = compacted(table.slice(start, CHUNK_EVENTS).combine_chunks())
        ts = part.column("ts_ns")
        rows.append((name, number, pc.min(ts).as_py(), pc.max(ts).as_py(), part.num_rows, _file(part)))
    with con.raw.cursor() as cursor:
        cursor.executemany(INSERT, rows)
    _join_small(con, name)


def _join_small(con, name: str) -> None:
    """Past ``MAX_SMALL_CHUNKS`` small chunks, their events rewritten as full chunks."""
    small = con.execute("SELECT chunk FROM event_chunks WHERE dataset = ? AND events < ? ORDER BY chunk",
                        (name, SMALL_CHUNK_EVENTS)).fetchall()
    if len(small) <= MAX_SMALL_CHUNKS:
        return
    numbers = [row[0] for row in small]
    with con.raw.cursor(binary=True) as cursor:
        data = cursor.execute("SELECT data FROM event_chunks WHERE dataset = %s AND chunk = ANY(%s) ORDER BY chunk",
                              (name, numbers)).fetchall()
    joined = pa.concat_tables([_table(row[0]) for row in data]).unify_dictionaries()
    con.execute("DELETE FROM event_chunks WHERE dataset = ? AND chunk = ANY(?)", (name, numbers))
    write(con, name, joined)


def clear(con, name: str) -> None:
    """Remove the dataset's chunks."""
    con.execute("DELETE FROM event_chunks WHERE dataset = ?", (name,))


def chunked(con, name: str) -> bool:
    """Whether the dataset's chunks hold all its events (false: stored before the chunks existed)."""
    row = con.execute("SELECT chunked FROM datasets WHERE name = ?", (name,)).fetchone()
    return bool(row and row[0])


def read(con, name: str, lo: int | None = None, hi: int | None = None) -> pa.Table:
    """The events of the dataset's chunks (``SCHEMA``); with ``lo`` and ``hi``, only those with
    ``lo <= ts_ns < hi``, from the chunks whose time span reaches into that range."""
    query, params = "SELECT data FROM event_chunks WHERE dataset = %s", [name]
    if lo is not None:
        query += " AND last_ns >= %s AND first_ns < %s"
        params += [lo, hi]
    with con.raw.cursor(binary=True) as cursor:
        data = cursor.execute(query + " ORDER BY chunk", params).fetchall()
    if not data:
        return SCHEMA.empty_table()
    tables = [_table(row[0]) for row in data]
    if lo is not None:              # a chunk is sorted by time: its rows in the range are one slice
        tables = [_between(table, lo, hi) for table in tables]
    return pa.concat_tables(tables)


def _between(table: pa.Table, lo: int, hi: int) -> pa.Table:
    """The rows of ``table`` (one chunk: sorted by ``ts_ns``) with ``lo <= ts_ns < hi``, as a slice."""
    ts = table.column("ts_ns").to_numpy()
    start, end = np.searchsorted(ts, [lo, hi], side="left")
    return table.slice(int(start), int(end - start))
