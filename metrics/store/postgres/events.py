"""Events in PostgreSQL: one row per event in the ``events`` table (revision 20261207_0001), the
same calls as ``segments`` (``keeper``), so ``merge`` keeps one merge for both backends.

A write (inside ``connection.writing``: every host's writes serialised) finds duplicates with
``row_hash = ANY(...)`` on the unique index and conflicts with a query of the stored pairing
events of the incoming ids, never reading the whole dataset; it appends with ``COPY ... FROM
STDIN`` (CSV written by Arrow), updating the dataset's row (events, first and last event) and its
generation in the same transaction. A whole load is one ``COPY (SELECT ...) TO STDOUT`` in CSV
read by Arrow, each text column dictionary-encoded (``columns_from_arrow``). Texts are NOT NULL
('' when empty); ``metric_value`` is NULL for NaN."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv

from ... import schema as s
from ..codec import TEXT_COLUMNS, columns_of, empty_frame, row_hashes, to_frame

BUMP_GENERATION = "INSERT INTO generations VALUES (?, 1) ON CONFLICT (dataset) DO UPDATE SET " \
                  "generation = generations.generation + 1"
STORED = ("ts_ns", "metric_value") + TEXT_COLUMNS        # the event columns as the table names them
COPY_IN = f"COPY events (dataset, {', '.join(STORED)}, row_hash) FROM STDIN (FORMAT csv)"
BATCH = 131_072                         # events written to COPY at a time
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


def _copy_in(con, name: str, columns: dict, hashed: np.ndarray | None, progress=None) -> None:
    """COPY events (``codec.to_columns``' arrays, ``hashed`` their row hashes or None) into dataset ``name``."""
    n = len(columns["ts"])
    hashed = row_hashes(columns) if hashed is None else hashed
    table = pa.table({
        "dataset": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([name])),
        "ts_ns": pa.array(columns["ts"], type=pa.int64()),
        "metric_value": pa.array(columns["metric_value"], type=pa.float64(), from_pandas=True),     # NaN: NULL
        **{c: pa.DictionaryArray.from_arrays(pa.array(columns[c][0], type=pa.int32()),
                                             pa.array(columns[c][1], type=pa.string())) for c in TEXT_COLUMNS},
        "row_hash": pa.array(hashed, type=pa.int64())})
    options = csv.WriteOptions(include_header=False, quoting_style="needed")      # texts quoted: '' is not NULL
    with con.raw.cursor() as cursor, cursor.copy(COPY_IN) as copy:
        for done, start in enumerate(range(0, n, BATCH)):
            if progress:
                progress(done, -(-n // BATCH), f"storing {name}")
            sink = io.BytesIO()
            csv.write_csv(table.slice(start, BATCH), sink, options)
            copy.write(sink.getbuffer())
    if progress:
        progress(1, 1, f"stored {name}")


def add(con, name: str, row: tuple, columns: dict, hashed: np.ndarray, progress=None) -> None:
    """Add new events (none stored yet) to the stored dataset ``name`` (its row: events,
    first_ns, last_ns, ...) by COPY; its row and generation updated in the same transaction."""
    _copy_in(con, name, columns, hashed, progress)
    t = columns["ts"]
    con.execute("UPDATE datasets SET events = events + ?, first_ns = LEAST(first_ns, ?), "
                "last_ns = GREATEST(last_ns, ?) WHERE name = ?", (len(t), int(t.min()), int(t.max()), name))
    con.execute(BUMP_GENERATION, (name,))


def clear(con, name: str, keep_sync: bool = False) -> None:
    """Remove the dataset: its events, sync state and last runs (its audit entries, generation and
    webhook deliveries stay); ``keep_sync`` keeps the sync state and last runs."""
    for table in ("events",) + (() if keep_sync else ("sync_state", "sync_runs")):
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", (name,))
    con.execute("DELETE FROM datasets WHERE name = ?", (name,))


def replace_all(con, name: str, columns: dict, progress=None, keep_sync: bool = False) -> None:
    """The dataset becomes exactly these events (``codec.to_columns``' arrays), inside the caller's
    transaction: its events deleted, these COPYed, its row written, its generation bumped."""
    clear(con, name, keep_sync)
    t = columns["ts"]
    if len(t):
        _copy_in(con, name, columns, None, progress)
    con.execute("INSERT INTO datasets (name, events, first_ns, last_ns) VALUES (?, ?, ?, ?)",
                (name, len(t), int(t.min()) if len(t) else None, int(t.max()) if len(t) else None))
    con.execute(BUMP_GENERATION, (name,))


TEXT_TYPE = pa.dictionary(pa.int32(), pa.string())
READ_OPTIONS = csv.ReadOptions(column_names=list(STORED), block_size=16 << 20)
CONVERT_OPTIONS = csv.ConvertOptions(
    column_types={"ts_ns": pa.int64(), "metric_value": pa.float64(), **{c: TEXT_TYPE for c in TEXT_COLUMNS}},
    strings_can_be_null=False, quoted_strings_can_be_null=False)


def columns_from_arrow(table: pa.Table) -> dict:
    """Events fetched as an Arrow table (``ts_ns`` int64, ``metric_value`` float64 with nulls for
    NaN, each of ``TEXT_COLUMNS`` as strings or dictionary-encoded) in ``codec.to_columns``' form:
    ``ts`` int64 ns, ``metric_value`` float64, each text column (int32 codes, its texts as an object
    array). Shared by whole loads and window-limited loads (``postgres.window``)."""
    if table.num_rows == 0:
        return columns_of(empty_frame())
    table = pa.table({c: table.column(c) if pa.types.is_dictionary(table.column(c).type)
                      else pc.dictionary_encode(table.column(c)) for c in TEXT_COLUMNS}
                     | {c: table.column(c) for c in ("ts_ns", "metric_value")}).unify_dictionaries()
    out = {"ts": table.column("ts_ns").to_numpy(),
           "metric_value": table.column("metric_value").cast(pa.float64()).to_numpy(zero_copy_only=False)}
    for c in TEXT_COLUMNS:
        chunks = table.column(c).chunks
        codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in chunks]).astype(np.int32, copy=False)
        texts = chunks[0].dictionary.to_numpy(zero_copy_only=False).astype(object)
        out[c] = (codes, texts if len(texts) else np.array([""], dtype=object))
    return out


def copy_out(con, query: str, params: tuple = ()) -> pa.Table:
    """The rows of ``query`` (selecting ``STORED``' columns, in that order) as an Arrow table: one
    ``COPY (query) TO STDOUT`` in CSV, read by Arrow."""
    chunks = []
    with con.raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params or None) as copy:
        for data in copy:
            chunks.append(data)
    data = b"".join(chunks)
    if not data:
        return pa.table({c: pa.array([], type=t) for c, t in CONVERT_OPTIONS.column_types.items()})
    return csv.read_csv(pa.BufferReader(data), read_options=READ_OPTIONS, convert_options=CONVERT_OPTIONS)


SELECT_DATASET = f"SELECT {', '.join(STORED)} FROM events WHERE dataset = %s"


def read_columns(con, name: str) -> dict | None:
    """The dataset's events as one ``codec.to_columns`` dict (None when there is no such dataset)."""
    if con.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone() is None:
        return None
    return columns_from_arrow(copy_out(con, SELECT_DATASET, (name,)))


def read(con, name: str) -> pd.DataFrame | None:
    """The dataset's events as the event frame (None when there is no such dataset)."""
    columns = read_columns(con, name)
    if columns is None:
        return None
    return to_frame(columns) if len(columns["ts"]) else empty_frame()
