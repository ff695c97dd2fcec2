"""Events in PostgreSQL: one row per event in the ``events`` table (revision 20261207_0001), the
same calls as ``segments`` (``keeper``), so ``merge`` keeps one merge for both backends.

A write (inside ``connection.writing``: every host's writes serialised) finds duplicates with
``row_hash = ANY(...)`` on the unique index and conflicts with a query of the stored pairing
events of the incoming ids, never reading the whole dataset; it appends with ``COPY ... FROM
STDIN`` (CSV written by Arrow), updating the dataset's row (events, first and last event) and its
generation in the same transaction (and the planner's statistics after a large one). A whole load
is ``COPY ... TO STDOUT`` as CSV read by Arrow (``copied``), each text column dictionary-encoded
(``columns_from_arrow``: window-limited loads share both). Texts are NOT
NULL ('' when empty); ``metric_value`` is NULL for NaN."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv

from ... import schema as s
from ..codec import TEXT_COLUMNS, empty_frame, row_hashes, to_frame
from ..segments import BUMP_GENERATION
from . import chunks

STORED = ("ts_ns", "metric_value") + TEXT_COLUMNS        # the event columns as the table names them
COPY_IN = f"COPY events (dataset, {', '.join(STORED)}, row_hash) FROM STDIN (FORMAT csv)"
BATCH = 131_072                         # events written to COPY at a time
ANALYZE_AFTER = 10_000                  # a write adding this many events has the planner's statistics made again
ANY_BATCH = 100_000                     # row hashes asked for in one query


def opened(con, name: str) -> str:
    """The stored dataset ``name`` as a write sees it: its name (PostgreSQL checks its own pages)."""
    return name


def stored_already(con, at: str, new_hashes: np.ndarray) -> np.ndarray:
    """Whether each of ``new_hashes`` (``codec.row_hashes``) is the hash of a stored event of
    dataset ``at``: a lookup of those hashes in the unique index, never the whole dataset."""
    found = []
    for start in range(0, len(new_hashes), ANY_BATCH):
        rows = con.raw.execute("SELECT row_hash FROM events WHERE dataset = %s AND row_hash = ANY(%s)",
                               (at, new_hashes[start:start + ANY_BATCH].tolist())).fetchall()
        found.extend(r[0] for r in rows)
    return np.isin(new_hashes, np.array(found, dtype=np.int64))


def stored_pairs(con, at: str, ids: list[str]) -> dict[tuple[str, str], int]:
    """(kind, id) -> time (ns) of the stored pairing events (``schema.PAIRING_IDS``) of dataset
    ``at`` whose incident or PR id is one of ``ids`` (the first of each), from the id indexes."""
    incident = [k for k in s.PAIRING_IDS if k in s.INCIDENT_KINDS]
    pr = [k for k in s.PAIRING_IDS if k in s.PR_KINDS]
    rows = con.raw.execute(
        "SELECT kind, incident_id, min(ts_ns) FROM events WHERE dataset = %s AND incident_id <> '' "
        "AND incident_id = ANY(%s) AND kind = ANY(%s) GROUP BY kind, incident_id "
        "UNION ALL SELECT kind, pr_id, min(ts_ns) FROM events WHERE dataset = %s AND pr_id <> '' "
        "AND pr_id = ANY(%s) AND kind = ANY(%s) GROUP BY kind, pr_id",
        (at, ids, incident, at, ids, pr)).fetchall()
    return {(kind, ident): t for kind, ident, t in rows}


def _copy_in(con, name: str, columns: dict, hashed: np.ndarray | None, progress=None) -> pa.Table:
    """COPY events (``codec.to_columns``' arrays, ``hashed`` their row hashes or None) into dataset
    ``name``; the events as an Arrow table (``chunks.SCHEMA``)."""
    n = len(columns["ts"])
    events = chunks.arrow_of(columns, hashed)
    table = events.add_column(0, "dataset", pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                                                           pa.array([name])))
    options = csv.WriteOptions(include_header=False, quoting_style="needed")      # texts quoted: '' is not NULL
    with con.raw.cursor() as cursor, cursor.copy(COPY_IN) as copy:
        for done, start in enumerate(range(0, n, BATCH)):
            if progress:
                progress(done, -(-n // BATCH), f"storing {name}")
            sink = io.BytesIO()
            csv.write_csv(table.slice(start, BATCH), sink, options)
            copy.write(sink.getbuffer())
    if n >= ANALYZE_AFTER:          # before autovacuum would: the next append's lookups use the indexes
        con.execute("ANALYZE events")
    if progress:
        progress(1, 1, f"stored {name}")
    return events


def add(con, name: str, row: tuple, columns: dict, hashed: np.ndarray, progress=None) -> None:
    """Add new events (none stored yet) to the stored dataset ``name`` (its row: events,
    first_ns, last_ns, ...) by COPY; its row and generation updated in the same transaction."""
    events = _copy_in(con, name, columns, hashed, progress)
    if chunks.chunked(con, name):
        chunks.write(con, name, events)
    else:                               # stored before the chunks existed: all its events made chunks now
        chunks.write(con, name, copied(con, f"SELECT {OUT} FROM events WHERE dataset = %s", (name,)))
        con.execute("UPDATE datasets SET chunked = true WHERE name = ?", (name,))
    t = columns["ts"]
    con.execute("UPDATE datasets SET events = events + ?, first_ns = LEAST(first_ns, ?), "
                "last_ns = GREATEST(last_ns, ?) WHERE name = ?", (len(t), int(t.min()), int(t.max()), name))
    con.execute(BUMP_GENERATION, (name,))


def clear(con, name: str, keep_sync: bool = False) -> None:
    """Remove the dataset: its events, sync state and last runs (its audit entries, generation and
    webhook deliveries stay); ``keep_sync`` keeps the sync state and last runs."""
    for table in ("events", "event_chunks") + (() if keep_sync else ("sync_state", "sync_runs")):
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", (name,))
    con.execute("DELETE FROM datasets WHERE name = ?", (name,))


def replace_all(con, name: str, columns: dict, progress=None, keep_sync: bool = False) -> None:
    """The dataset becomes exactly these events (``codec.to_columns``' arrays), inside the caller's
    transaction: its events deleted, these COPYed, its row written, its generation bumped."""
    clear(con, name, keep_sync)
    t = columns["ts"]
    if len(t):
        chunks.write(con, name, _copy_in(con, name, columns, None, progress))
    con.execute("INSERT INTO datasets (name, events, first_ns, last_ns, chunked) VALUES (?, ?, ?, ?, true)",
                (name, len(t), int(t.min()) if len(t) else None, int(t.max()) if len(t) else None))
    con.execute(BUMP_GENERATION, (name,))


OUT = f"ts_ns, metric_value, {', '.join(TEXT_COLUMNS)}, row_hash"       # the columns a read asks for, in this order
# the rows as Arrow reads them: each text column dictionary-encoded as it is parsed
SCHEMA = chunks.SCHEMA
PARSE_BLOCK = 8 << 20                   # bytes of CSV Arrow parses at a time (fewer dictionaries to unify than 1 MB)


def copied(con, query: str, params=None) -> pa.Table:
    """The rows of ``query`` (selecting ``OUT``, in no order) as an Arrow table: ``COPY (query) TO
    STDOUT`` as CSV (no Python object a row), parsed by Arrow in parallel blocks (in one block when
    a text holds a line break: then a row's end is not every newline), each text column
    dictionary-encoded as it is parsed. Whole loads and window-limited loads (``postgres.window``)
    read through it. (Two halves on two connections sharing a snapshot were measured slower: the
    client's side is one Python thread.)"""
    data = bytearray()
    with con.raw.cursor() as cursor:
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
            for chunk in copy:
                data += chunk
        rows = cursor.rowcount
    if not data:                        # no rows: Arrow reads no CSV of none
        return SCHEMA.empty_table()
    breaks = b"\r" in data or data.count(b"\n") != rows       # a line break (CR or LF) inside a quoted text
    # with line breaks in texts, one block: Arrow's chunker can split a quoted CR LF at a block's end
    block = len(data) + 1 if breaks else PARSE_BLOCK
    return csv.read_csv(pa.py_buffer(data), read_options=csv.ReadOptions(column_names=SCHEMA.names, block_size=block),
                        parse_options=csv.ParseOptions(newlines_in_values=breaks),
                        convert_options=csv.ConvertOptions(column_types=SCHEMA, strings_can_be_null=False,
                                                           quoted_strings_can_be_null=False),
                        memory_pool=chunks.READ_POOL)


def columns_from_arrow(table: pa.Table) -> dict:
    """Events as an Arrow table (``copied``'s: ``ts_ns`` int64 ns, ``metric_value`` float64 with
    nulls, each text column dictionary-encoded) as ``codec.to_columns``' arrays: ``ts``,
    ``metric_value`` (NaN where null) and each text column as (int32 codes, its distinct texts as an
    object array)."""
    table = table.unify_dictionaries(memory_pool=chunks.READ_POOL)
    columns = {"ts": table.column("ts_ns").to_numpy().astype(np.int64, copy=False),
               "metric_value": pc.fill_null(table.column("metric_value"), np.nan).to_numpy().astype(np.float64)}
    for c in TEXT_COLUMNS:
        column = table.column(c)
        joined = column.combine_chunks(memory_pool=chunks.READ_POOL) if column.num_chunks \
            else pa.array([], pa.dictionary(pa.int32(), pa.string()))
        texts = joined.dictionary.to_numpy(zero_copy_only=False).astype(object)
        columns[c] = (joined.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
                      texts if len(texts) else np.asarray([""], dtype=object))
    return columns


def read_columns(con, name: str) -> dict | None:
    """The dataset's events as one ``codec.to_columns`` dict (None when there is no such dataset)."""
    row = con.execute("SELECT chunked FROM datasets WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    if row[0]:
        return columns_from_arrow(chunks.read(con, name))
    return columns_from_arrow(copied(con, f"SELECT {OUT} FROM events WHERE dataset = %s", (name,)))


def read(con, name: str) -> pd.DataFrame | None:
    """The dataset's events as the event frame (None when there is no such dataset)."""
    columns = read_columns(con, name)
    if columns is None:
        return None
    return to_frame(columns) if len(columns["ts"]) else empty_frame()


def check_all(con) -> list:
    """Every dataset checked (``integrity.DatasetCheck`` each): its row's count and first and last
    event against the events table's, and the count its columnar copy (``chunks``) holds
    (PostgreSQL checksums its own pages); events under a name with no dataset row are a dataset
    whose row is missing."""
    from ..integrity import DatasetCheck
    said = {name: (events, first, last) for name, events, first, last in
            con.execute("SELECT name, events, first_ns, last_ns FROM datasets").fetchall()}
    held = {name: (events, first, last) for name, events, first, last in
            con.execute("SELECT dataset, count(*), min(ts_ns), max(ts_ns) FROM events GROUP BY dataset").fetchall()}
    copied_events = dict(con.execute("SELECT d.name, coalesce(sum(c.events), 0) FROM datasets d LEFT JOIN event_chunks c "
                                     "ON c.dataset = d.name WHERE d.chunked GROUP BY d.name").fetchall())
    found = []
    for name in sorted(set(said) | set(held)):
        count, first, last = held.get(name, (0, None, None))
        check = DatasetCheck(name, said[name][0] if name in said else None, 0, count, first, last)
        if name not in said:
            check.problem = f"its {count:,} events belong to no dataset"
        elif said[name][0] != count:
            check.problem = f"the dataset says {said[name][0]:,} events, the events table holds {count:,}"
        elif said[name][1:] != (first, last):
            check.problem = "its first and last event times are not those of its events"
        elif name in copied_events and copied_events[name] != count:
            check.problem = f"its columnar copy holds {copied_events[name]:,} events, the events table {count:,}"
        found.append(check)
    return found


def repair_all(con, record) -> list:
    """``check_all``, then each dataset whose row disagrees with its events counted again (its row
    set to what the events table holds, its generation bumped; its columnar copy dropped: read from
    its rows until its next write makes it again); the events of no dataset are deleted. ``record(con, name, events, detail)`` writes each repair to the audit trail."""
    found = check_all(con)
    for check in found:
        if check.ok:
            continue
        con.execute("DELETE FROM event_chunks WHERE dataset = ?", (check.name,))    # made again at its next write
        if check.said is None:
            con.execute("DELETE FROM events WHERE dataset = ?", (check.name,))
            record(con, check.name, -check.kept, check.problem)
            continue
        con.execute("UPDATE datasets SET events = ?, first_ns = ?, last_ns = ?, chunked = false WHERE name = ?",
                    (check.kept, check.first, check.last, check.name))
        con.execute(BUMP_GENERATION, (check.name,))
        record(con, check.name, check.kept - check.said, check.problem)
    return found
